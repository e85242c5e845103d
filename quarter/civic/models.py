"""Problem reports (民情诉求): departments, categories, reports and their timeline.

The closed loop of a report, declared in `REPORT_TRANSITIONS`:

    submitted   -> dispatched (automatically by category, or by an operator)
                -> rejected   (an operator, with a reason)
    dispatched  -> in_progress (the department accepts it)
                -> dispatched  (an operator sends it to another department)
                -> rejected
    in_progress -> resolved   (the department replies, optionally with a photo)
                -> dispatched (an operator re-dispatches)
    resolved    -> closed     (the reporter confirms, or an operator closes)
                -> dispatched (the reporter reopens it, at most once)
    closed, rejected: final.

Every change is a `ReportEvent` row (who, when, from, to, note): the timeline
the reporter sees. A report is overdue when it is still open (submitted,
dispatched or in progress) past `deadline_at`; the escalation job marks it
`escalated_at` once and tells the community's operators.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quarter.core.states import Transitions
from quarter.core.uploads import UnguessableName
from quarter.places.models import Community, Compound, District, Merchant


class Department(models.Model):
    """A unit reports are dispatched to (职能部门): a community's or a district's."""

    name = models.CharField(_("部门名称"), max_length=80)
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="civic_departments",
        verbose_name=_("所属社区"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="civic_departments",
        verbose_name=_("所属区县"),
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="civic_departments",
        verbose_name=_("工作人员"),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(district__isnull=True))
                | (Q(community__isnull=True) & Q(district__isnull=False)),
                name="civic_department_one_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A kind of problem of one community (an Open311 service) and where it goes."""

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="civic_categories",
        verbose_name=_("社区"),
    )
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    group = models.CharField(_("分组"), max_length=40, blank=True)
    keywords = models.CharField(_("关键词"), max_length=120, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("默认派往部门"),
        help_text=_("留空则由社区工作者人工派单"),
    )
    sla_hours = models.PositiveIntegerField(
        _("办理时限(小时)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
        help_text=_("从上报起算,1至2160小时"),
    )
    about_merchant = models.BooleanField(
        _("可选涉及商户"), default=False, help_text=_("如商户投诉:上报时可选择商户")
    )
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["community", "sort_order", "id"]
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "code"], name="civic_category_code_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("已上报")
    DISPATCHED = "dispatched", _("已派单")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    REJECTED = "rejected", _("不予受理")


OPEN_STATUSES = (Status.SUBMITTED, Status.DISPATCHED, Status.IN_PROGRESS)

REPORT_TRANSITIONS = Transitions(
    "civic.report",
    {
        Status.SUBMITTED: [Status.DISPATCHED, Status.REJECTED],
        Status.DISPATCHED: [Status.IN_PROGRESS, Status.DISPATCHED, Status.REJECTED],
        Status.IN_PROGRESS: [Status.RESOLVED, Status.DISPATCHED],
        Status.RESOLVED: [Status.CLOSED, Status.DISPATCHED],
        Status.CLOSED: [],
        Status.REJECTED: [],
    },
    code="report_state_not_allowed",
    message="该诉求当前状态下不能进行这项操作",
)


class Source(models.TextChoices):
    WEB = "web", _("网页")
    OPEN311 = "open311", _("Open311 接口")


class Report(models.Model):
    """One problem reported by a resident, a grid worker or an Open311 client."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="civic_reports",
        verbose_name=_("社区"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("类别"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="civic_reports",
        verbose_name=_("上报人"),
    )
    source = models.CharField(
        _("来源"), max_length=10, choices=Source.choices, default=Source.WEB
    )
    api_client = models.ForeignKey(
        "civic.ApiClient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("接口客户端"),
    )
    token = models.CharField(
        max_length=32, unique=True, null=True, blank=True, verbose_name=_("凭证")
    )
    description = models.TextField(_("问题描述"), max_length=4000)
    address = models.CharField(_("位置说明"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"))
    lng = models.FloatField(_("经度"))
    photo = models.ImageField(_("照片"), upload_to=UnguessableName("civic"), blank=True)
    # Where the report was placed by a compound (Open311 address_id or an
    # address_string naming it) rather than by a point on the map.
    compound = models.ForeignKey(
        Compound,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="civic_reports",
        verbose_name=_("小区"),
    )
    # A photo an Open311 client hosts itself: kept as a link, never fetched.
    media_url = models.URLField(_("外部照片链接"), max_length=500, blank=True)
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="civic_reports",
        verbose_name=_("涉及商户"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("承办部门"),
    )
    deadline_at = models.DateTimeField(_("办理时限"))
    reply = models.TextField(_("办理答复"), blank=True)
    reply_photo = models.ImageField(
        _("办结照片"), upload_to=UnguessableName("civic"), blank=True
    )
    reject_reason = models.CharField(_("不予受理原因"), max_length=200, blank=True)
    reopen_count = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("重开次数")
    )
    escalated_at = models.DateTimeField(_("超时上报时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("上报时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        indexes = [models.Index(fields=["status", "deadline_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, at) -> bool:
        return self.is_open and self.deadline_at < at


class ReportEvent(models.Model):
    """One step of a report's timeline: who did what, when, and why."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("提交诉求")
        DISPATCHED = "dispatched", _("派单")
        STARTED = "started", _("开始处理")
        RESOLVED = "resolved", _("办结答复")
        CLOSED = "closed", _("确认关闭")
        REJECTED = "rejected", _("不予受理")
        REOPENED = "reopened", _("不满意,重新办理")
        ESCALATED = "escalated", _("超时督办")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="events", verbose_name=_("诉求")
    )
    kind = models.CharField(_("事项"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    from_status = models.CharField(max_length=12, blank=True, verbose_name=_("原状态"))
    to_status = models.CharField(max_length=12, blank=True, verbose_name=_("新状态"))
    note = models.TextField(_("说明"), blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("职能部门"),
    )
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("诉求记录")
        verbose_name_plural = _("诉求记录")

    def __str__(self) -> str:
        from quarter.core.audit import sentence

        return sentence(self.created_at, self.actor, self.get_kind_display(), self.note)


class ApiClient(models.Model):
    """An Open311 client allowed to POST requests; only a hash of its key is kept."""

    name = models.CharField(_("客户端名称"), max_length=80)
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="open311_clients",
        verbose_name=_("社区"),
    )
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, verbose_name=_("密钥摘要"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Open311 接口客户端")
        verbose_name_plural = _("Open311 接口客户端")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"
