"""The community business map: where people live and the shops that serve them.

Geography runs District (区) → StreetOffice (街道) → Community (社区) → Compound (小区).
Coordinates are WGS-84 floats; GCJ-02 only at the map edge where tiles need it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    BASIC = "basic", _("基本保障类")
    QUALITY = "quality", _("品质提升类")
    PUBLIC = "public", _("公共服务类")


class BusinessType(models.Model):
    """A kind of shop or service from MOFCOM's 城市一刻钟便民生活圈建设指南 (2021)."""

    code = models.SlugField(max_length=40, unique=True, verbose_name=_("代码"))
    name_zh = models.CharField(_("中文名"), max_length=40)
    name_en = models.CharField(_("英文名"), max_length=80)
    tier = models.CharField(_("类别"), max_length=10, choices=Tier.choices)
    # The 2025 groupings: 一店一早, 一菜一修, 一老一小, 一收一洗 (comma-separated).
    groupings = models.CharField(_("分组"), max_length=80, blank=True)
    # OSM tags mapped onto this type, e.g. "shop=convenience;amenity=pharmacy".
    osm_tags = models.CharField(max_length=400, blank=True, verbose_name=_("OSM 标签"))
    keywords = models.CharField(_("同义词"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("排序"))

    class Meta:
        ordering = ["tier", "sort_order", "code"]
        verbose_name = _("业态")
        verbose_name_plural = _("业态")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def grouping_list(self) -> list[str]:
        return [g for g in self.groupings.split(",") if g]


class District(models.Model):
    name = models.CharField(_("区"), max_length=60)
    city = models.CharField(_("城市"), max_length=60)

    class Meta:
        unique_together = [("city", "name")]
        verbose_name = _("区县")
        verbose_name_plural = _("区县")

    def __str__(self) -> str:
        return f"{self.city}{self.name}"


class StreetOffice(models.Model):
    name = models.CharField(_("街道"), max_length=60)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="streets",
        verbose_name=_("区县"),
    )

    class Meta:
        unique_together = [("district", "name")]
        verbose_name = _("街道")
        verbose_name_plural = _("街道")

    def __str__(self) -> str:
        return self.name


def new_stamp() -> str:
    return uuid.uuid4().hex


class Community(models.Model):
    name = models.CharField(_("社区"), max_length=60)
    slug = models.SlugField(max_length=60, unique=True, verbose_name=_("网址标识"))
    street_office = models.ForeignKey(
        StreetOffice,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("街道"),
    )
    area_km2 = models.DecimalField(_("面积(平方公里)"), max_digits=6, decimal_places=3)
    center_lat = models.FloatField(verbose_name=_("中心纬度"))
    center_lng = models.FloatField(verbose_name=_("中心经度"))
    introduction = models.TextField(_("简介"), blank=True)
    # A fresh random value after every write to the community's compounds, so
    # a process may keep the compounds it read until they change (coverage's
    # engine does). Random, not a counter: a rolled-back write's value never
    # comes back.
    compounds_stamp = models.CharField(
        _("小区数据版本"), max_length=32, default=new_stamp, editable=False
    )

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")

    def __str__(self) -> str:
        return self.name


def mark_compounds_changed(community_ids) -> None:
    """Give these communities a new `compounds_stamp` (their compounds changed)."""
    ids = {pk for pk in community_ids if pk is not None}
    if ids:
        Community.objects.filter(pk__in=ids).update(compounds_stamp=new_stamp())


class CompoundKind(models.TextChoices):
    PROPERTY = "property", _("物业小区")
    OLD = "old", _("老旧小区")
    MIXED = "mixed", _("商住小区")


class CompoundQuerySet(models.QuerySet):
    """Writes that bypass save() and delete() still mark their communities.

    save() and delete() (one row, the admin's bulk delete) are marked by the
    receivers in places/receivers.py; these are the writes that send no signal.
    """

    def update(self, **kwargs):
        ids = set(self.values_list("community_id", flat=True))
        moved_to = kwargs.get("community", kwargs.get("community_id"))
        rows = super().update(**kwargs)
        ids.add(getattr(moved_to, "pk", moved_to))
        mark_compounds_changed(ids)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        mark_compounds_changed(o.community_id for o in objs)
        return objs

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        ids = set(
            self.filter(pk__in=[o.pk for o in objs]).values_list(
                "community_id", flat=True
            )
        )
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        mark_compounds_changed(ids | {o.community_id for o in objs})
        return rows


class Compound(models.Model):
    """A residential compound (小区): the origin of every walking-time question."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="compounds",
        verbose_name=_("社区"),
    )
    name = models.CharField(_("小区"), max_length=80)
    kind = models.CharField(
        _("类型"), max_length=10, choices=CompoundKind.choices, default="property"
    )
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    households = models.PositiveIntegerField(_("户数"))
    population = models.PositiveIntegerField(_("人口"))
    # The compound's area as a GeoJSON Polygon/MultiPolygon geometry ([lng,
    # lat] positions), drawn on the street layer; from the OSM import, or none.
    outline = models.JSONField(_("轮廓"), null=True, blank=True, editable=False)

    objects = CompoundQuerySet.as_manager()

    class Meta:
        unique_together = [("community", "name")]
        verbose_name = _("小区")
        verbose_name_plural = _("小区")

    def __str__(self) -> str:
        return self.name


class Admission(models.TextChoices):
    APPLIED = "applied", _("待审核")
    APPROVED = "approved", _("已入驻")
    REJECTED = "rejected", _("已驳回")
    REMOVED = "removed", _("已清退")


class MerchantStatus(models.TextChoices):
    OPEN = "open", _("营业中")
    RENOVATING = "renovating", _("装修中")
    SUSPENDED = "suspended", _("暂停服务")
    CLOSED = "closed", _("已停业")


class Merchant(models.Model):
    """A shop or service point on the community map."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="merchants",
        verbose_name=_("社区"),
    )
    name = models.CharField(_("店名"), max_length=80)
    main_type = models.ForeignKey(
        BusinessType,
        on_delete=models.PROTECT,
        related_name="merchants",
        verbose_name=_("业态"),
    )
    introduction = models.TextField(_("简介"), blank=True)
    address = models.CharField(_("地址"), max_length=200)
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    phone = models.CharField(_("电话"), max_length=20)
    contact_person = models.CharField(_("联系人"), max_length=40)
    # Discounts in permille of the list price: 550 means 5.5折 (pay 55 %).
    card_discount_permille = models.PositiveSmallIntegerField(
        _("大家卡折扣"), null=True, blank=True
    )
    vip_discount_permille = models.PositiveSmallIntegerField(
        _("会员卡折扣"), null=True, blank=True
    )
    card_offer_note = models.CharField(_("优惠说明"), max_length=200, blank=True)
    is_chain = models.BooleanField(_("连锁品牌"), default=False)
    # The shop's size as its owner declares it (小微商户 policies ask for it);
    # unknown until given, and an unknown size meets no size condition.
    employees = models.PositiveSmallIntegerField(
        _("从业人数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text=_("含店主在内的从业人员人数,用于小微商户扶持政策"),
    )
    brand_name = models.CharField(_("品牌"), max_length=60, blank=True)
    admission = models.CharField(
        _("入驻状态"),
        max_length=10,
        choices=Admission.choices,
        default=Admission.APPLIED,
    )
    status = models.CharField(
        _("经营状态"),
        max_length=12,
        choices=MerchantStatus.choices,
        default=MerchantStatus.OPEN,
    )
    status_since = models.DateField(_("状态开始"), null=True, blank=True)
    status_until = models.DateField(_("预计结束"), null=True, blank=True)
    osm_ref = models.CharField(
        max_length=40, blank=True, db_index=True, verbose_name=_("OSM 编号")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        verbose_name = _("商户")
        verbose_name_plural = _("商户")
        indexes = [
            models.Index(fields=["lat", "lng"], name="merchant_latlng"),
            models.Index(fields=["admission", "main_type"], name="merchant_adm_type"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(card_discount_permille__isnull=True)
                | models.Q(
                    card_discount_permille__gt=0, card_discount_permille__lte=1000
                ),
                name="merchant_card_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(vip_discount_permille__isnull=True)
                | models.Q(
                    vip_discount_permille__gt=0, vip_discount_permille__lte=1000
                ),
                name="merchant_vip_rate_range",
            ),
            # The community card is at least as good as the shop's own VIP
            # card, whatever writes the row (services.check_card_rule says why).
            models.CheckConstraint(
                condition=models.Q(card_discount_permille__isnull=True)
                | models.Q(vip_discount_permille__isnull=True)
                | models.Q(
                    card_discount_permille__lte=models.F("vip_discount_permille")
                ),
                name="merchant_card_not_worse_than_vip",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_listed(self) -> bool:
        return self.admission == Admission.APPROVED


class MerchantService(models.Model):
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("商户"),
    )
    name = models.CharField(_("服务"), max_length=60)
    price_fen = models.BigIntegerField(_("价格"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("排序"))

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")

    def __str__(self) -> str:
        return self.name


class MerchantPhoto(models.Model):
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("商户"),
    )
    image = models.ImageField(upload_to="merchants/%Y/%m/", verbose_name=_("照片"))
    caption = models.CharField(max_length=80, blank=True, verbose_name=_("说明"))
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("排序"))

    class Meta:
        verbose_name = _("商户照片")
        verbose_name_plural = _("商户照片")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.caption or _("照片 %(n)s") % {"n": self.pk or ""}


WEEKDAY_CHOICES = [
    (0, _("周一")),
    (1, _("周二")),
    (2, _("周三")),
    (3, _("周四")),
    (4, _("周五")),
    (5, _("周六")),
    (6, _("周日")),
]


def _clock(minute: int | None) -> str:
    """Minutes after midnight as 'HH:MM' (1440 is '24:00'); blank when unset."""
    if minute is None:
        return ""
    return f"{minute // 60:02d}:{minute % 60:02d}"


class OpeningHours(models.Model):
    """A weekly opening span in minutes after midnight; overnight spans split in two."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="hours", verbose_name=_("商户")
    )
    # 0 = Monday, as date.weekday(); minutes after midnight, close up to 1440.
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=WEEKDAY_CHOICES)
    open_minute = models.PositiveSmallIntegerField(verbose_name=_("开门"))
    close_minute = models.PositiveSmallIntegerField(verbose_name=_("关门"))

    class Meta:
        verbose_name = _("营业时间")
        verbose_name_plural = _("营业时间")
        ordering = ["weekday", "open_minute"]
        indexes = [models.Index(fields=["weekday", "open_minute", "close_minute"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6)
                & models.Q(close_minute__gt=models.F("open_minute"))
                & models.Q(close_minute__lte=1440),
                name="opening_hours_valid",
            )
        ]

    def __str__(self) -> str:
        span = f"{_clock(self.open_minute)}-{_clock(self.close_minute)}"
        return f"{self.get_weekday_display()} {span}"


class OpeningException(models.Model):
    """A date whose hours differ from the week: closed all day, or special hours."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name=_("商户"),
    )
    date = models.DateField(verbose_name=_("日期"))
    closed = models.BooleanField(default=True, verbose_name=_("全天休息"))
    open_minute = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("开始时间")
    )
    close_minute = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("结束时间")
    )
    note = models.CharField(max_length=80, blank=True, verbose_name=_("备注"))

    class Meta:
        verbose_name = _("特殊营业日")
        verbose_name_plural = _("特殊营业日")
        ordering = ["date"]
        unique_together = [("merchant", "date", "open_minute")]

    def __str__(self) -> str:
        if self.closed:
            return f"{self.date:%Y-%m-%d} 休息"
        span = f"{_clock(self.open_minute)}-{_clock(self.close_minute)}"
        return f"{self.date:%Y-%m-%d} {span}"


class MerchantStaff(models.Model):
    """Who may act for a merchant: its owner and the staff at the till."""

    class Role(models.TextChoices):
        OWNER = "owner", _("店主")
        STAFF = "staff", _("店员")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="staff", verbose_name=_("商户")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant_roles",
        verbose_name=_("用户"),
    )
    role = models.CharField(
        max_length=10, choices=Role.choices, default=Role.OWNER, verbose_name=_("角色")
    )

    class Meta:
        unique_together = [("merchant", "user")]
        verbose_name = _("商户人员")
        verbose_name_plural = _("商户人员")

    def __str__(self) -> str:
        return f"{self.merchant} {self.get_role_display()} {self.user}"


class MerchantEvent(models.Model):
    """Audit trail of a merchant: admission, rejection, suspension, edits
    (who, when, why)."""

    class Kind(models.TextChoices):
        APPLIED = "applied", _("申请入驻")
        APPROVED = "approved", _("审核通过")
        REJECTED = "rejected", _("驳回")
        SUSPENDED = "suspended", _("暂停")
        REINSTATED = "reinstated", _("恢复")
        REMOVED = "removed", _("清退")
        STATUS_CHANGED = "status_changed", _("经营状态变更")
        PROFILE_UPDATED = "profile_updated", _("资料修改")
        DISCOUNT_CHANGED = "discount_changed", _("折扣变更")
        HOURS_CHANGED = "hours_changed", _("营业时间变更")
        ADMIN_CHANGED = "admin_changed", _("后台修改")

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("商户"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("类型"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(blank=True, verbose_name=_("原因"))
    before = models.JSONField(default=dict, blank=True, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("变更后"))
    created_at = models.DateTimeField(verbose_name=_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("商户记录")
        verbose_name_plural = _("商户记录")

    def __str__(self) -> str:
        from quarter.core.audit import event_detail, sentence

        detail = event_detail(self, Merchant)
        return sentence(self.created_at, self.actor, self.get_kind_display(), detail)


class CompoundEvent(models.Model):
    """Audit trail of a compound's back-office changes (who, when, before and after).

    The compound may be deleted later; its name and community stay on the row.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("新增")
        CHANGED = "changed", _("修改")
        DELETED = "deleted", _("删除")

    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("小区"),
    )
    compound_name = models.CharField(_("小区"), max_length=80)
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="compound_events",
        verbose_name=_("社区"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("类型"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(blank=True, verbose_name=_("原因"))
    before = models.JSONField(default=dict, blank=True, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("变更后"))
    created_at = models.DateTimeField(verbose_name=_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("小区记录")
        verbose_name_plural = _("小区记录")

    def __str__(self) -> str:
        from quarter.core.audit import event_detail, sentence

        action = f"{self.get_kind_display()}{self.compound_name}"
        detail = event_detail(self, Compound)
        return sentence(self.created_at, self.actor, action, detail)


class MerchantSearchDocument(models.Model):
    """The searchable text of a merchant residents can find,
    one token per Chinese character.

    A phrase query over single-character tokens is an exact substring match, so
    `理发` finds 理发 wherever it stands. PostgreSQL searches `tokens` through a GIN
    tsvector index; SQLite's FTS5 table indexes `grams` and `name_grams` (see
    `search.py`), with filters as pseudo-words (`〇typepharmacy`, `〇tierbasic`,
    `〇community12`) so it answers a whole text search from its index.
    Only merchants visible in search have a document; lat/lng are copied here so
    nearness is read from one narrow, indexed table.
    """

    merchant = models.OneToOneField(
        Merchant,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    tokens = models.TextField()
    grams = models.TextField(default="")
    name_grams = models.TextField(default="")
    # Copies for "nearest first", read from one narrow table by bounding box.
    lat = models.FloatField(default=0)
    lng = models.FloatField(default=0)
    type_code = models.CharField(max_length=40, default="")
    tier = models.CharField(max_length=10, default="")
    community_ref = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["lat", "lng"], name="search_doc_latlng"),
            models.Index(
                fields=["type_code", "lat", "lng"], name="search_doc_type_latlng"
            ),
            models.Index(fields=["tier", "lat", "lng"], name="search_doc_tier_latlng"),
        ]

    def __str__(self) -> str:
        return f"merchant {self.merchant_id}"


class SearchLog(models.Model):
    """A search a resident ran; zero-result searches are
    the demand signal for planning."""

    query = models.CharField(max_length=100, verbose_name=_("搜索词"))
    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("小区"),
    )
    # A keyed pseudonym of the searching account (`core.identity.pseudonym`),
    # never the account itself: operators read these logs, and residents log
    # in with their phone number.
    visitor = models.CharField(
        max_length=16, blank=True, default="", verbose_name=_("访客")
    )
    result_count = models.PositiveIntegerField(verbose_name=_("结果数"))
    created_at = models.DateTimeField(verbose_name=_("搜索时间"))

    class Meta:
        indexes = [models.Index(fields=["result_count", "compound"])]
        verbose_name = _("搜索记录")
        verbose_name_plural = _("搜索记录")

    def __str__(self) -> str:
        return f"{self.query} ({self.result_count})"


class SearchDailyCount(models.Model):
    """Searches per day, compound and query, once their detail has aged out.

    `aggregate_search_logs` folds SearchLog rows older than
    QUARTER_SEARCH_LOG_DAYS into these counts and deletes them, so what is
    kept long-term names no one. Counts add up: read them with Sum (rows
    without a compound are not unique on every database).
    """

    day = models.DateField(_("日期"))
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, null=True, blank=True
    )
    query = models.CharField(_("搜索词"), max_length=100)
    searches = models.PositiveIntegerField(_("搜索次数"), default=0)
    zero_results = models.PositiveIntegerField(_("无结果次数"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "compound", "query"],
                name="search_daily_count_one_row",
            )
        ]
        verbose_name = _("每日搜索统计")
        verbose_name_plural = _("每日搜索统计")

    def __str__(self) -> str:
        return f"{self.day} {self.query} ×{self.searches}"
