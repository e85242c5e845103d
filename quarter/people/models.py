"""Accounts and roles.

Every person logs in as a `User`. Roles are Django groups (see `Role`) plus an
object that says where the role applies: a resident's household, an operator's
community, an issuer's district, a merchant's staff list (in `places`).
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.identity import mask_phone, phone_problem
from quarter.places.models import Community, Compound, District, StreetOffice


class Role(models.TextChoices):
    RESIDENT = "resident", _("居民")
    MERCHANT = "merchant", _("商户")
    OPERATOR = "operator", _("社区工作者")
    ISSUER = "issuer", _("发券机构")
    DEPARTMENT = "department", _("职能部门")
    PLANNER = "planner", _("规划人员")


class User(AbstractUser):
    """A login. Residents use their phone number as username."""

    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    def __str__(self) -> str:
        # Residents log in with their phone number: never print it whole.
        if phone_problem(self.username) is None:
            return mask_phone(self.username)
        return self.username

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()


def _new_card_number() -> str:
    return "DJ" + "".join(secrets.choice("0123456789") for _ in range(10))


class Household(models.Model):
    """A household (户) in a compound; it holds the community card (大家卡)."""

    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        related_name="household_set",
        verbose_name=_("小区"),
    )
    address = models.CharField(_("门牌"), max_length=80)
    card_number = models.CharField(
        max_length=16, unique=True, default=_new_card_number, verbose_name=_("卡号")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("登记时间"))

    class Meta:
        unique_together = [("compound", "address")]
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")

    def __str__(self) -> str:
        return f"{self.compound.name} {self.address}"


class RegisterStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_AWAY = "moved_away", _("已迁出")


class RegisterEntry(models.Model):
    """One person on a community's resident register (居民名册).

    Imported by the community's operator from its roster. The ID number is kept
    only as a keyed hash (to match real-name verification) and a mask without
    the birth digits; of the birth date only the year. Real-name verification
    binds at most one resident account to an active entry and places it in the
    household the entry names. States: active -> moved_away (by an operator,
    audited); a moved-away entry binds no account and makes its resident
    ineligible for register-only programmes.
    """

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="register_entries",
        verbose_name=_("社区"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        related_name="register_entries",
        verbose_name=_("小区"),
    )
    address = models.CharField(_("门牌"), max_length=80)
    name = models.CharField(_("姓名"), max_length=40)
    id_hash = models.CharField(max_length=64, verbose_name=_("身份证号摘要"))
    id_masked = models.CharField(_("身份证号"), max_length=18)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=RegisterStatus.choices,
        default=RegisterStatus.ACTIVE,
    )
    moved_away_at = models.DateTimeField(_("迁出时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "id_hash"], name="register_one_row_per_person"
            )
        ]
        ordering = ["compound__name", "address", "id"]
        verbose_name = _("居民名册")
        verbose_name_plural = _("居民名册")

    def __str__(self) -> str:
        return f"{self.name} {self.compound.name} {self.address}"

    @property
    def is_active(self) -> bool:
        return self.status == RegisterStatus.ACTIVE


class RegisterEvent(models.Model):
    """Audit trail of the register: imports, moves away (who, when, why)."""

    class Kind(models.TextChoices):
        IMPORTED = "imported", _("导入名册")
        MOVED_AWAY = "moved_away", _("标记迁出")
        MATCHED = "matched", _("实名匹配")

    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="register_events",
        verbose_name=_("社区"),
    )
    entry = models.ForeignKey(
        RegisterEntry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("名册条目"),
    )
    kind = models.CharField(_("事项"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        "people.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(_("原因"), blank=True)
    before = models.JSONField(default=dict, blank=True, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("变更后"))
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("名册记录")
        verbose_name_plural = _("名册记录")

    def __str__(self) -> str:
        from quarter.core.audit import event_detail, sentence

        detail = event_detail(self, RegisterEntry)
        return sentence(self.created_at, self.actor, self.get_kind_display(), detail)


class RegisterImport(models.Model):
    """A previewed roster upload, waiting for the operator to confirm it.

    The uploaded file itself is never stored: `rows` holds the rows already
    reduced to what the register keeps (name, ID hash and mask, birth year,
    compound, 门牌) and is emptied when the import is committed or discarded.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        COMMITTED = "committed", _("已导入")
        DISCARDED = "discarded", _("已放弃")

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="register_imports"
    )
    created_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PREVIEWED
    )
    rows = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")

    def __str__(self) -> str:
        return f"{self.community} {self.get_state_display()}"


class Resident(models.Model):
    """A resident's profile; real-name data is kept only as a keyed hash and a mask."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="resident", verbose_name=_("用户")
    )
    phone = models.CharField(max_length=20, unique=True, verbose_name=_("手机号"))
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("家庭"),
    )
    real_name = models.CharField(_("姓名"), max_length=40, blank=True)
    id_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        verbose_name=_("身份证号摘要"),
    )
    id_masked = models.CharField(_("身份证号"), max_length=18, blank=True)
    # Only the year: benefit rules need an age, not a birthday (PIPL minimum).
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    verified_at = models.DateTimeField(_("实名时间"), null=True, blank=True)
    register_entry = models.OneToOneField(
        RegisterEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("名册登记"),
    )

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")

    def __str__(self) -> str:
        return self.real_name or mask_phone(self.phone)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def compound(self) -> Compound | None:
        return self.household.compound if self.household_id else None


class Operator(models.Model):
    """A community worker (社区工作者): sees and manages one community."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="operator_roles",
        verbose_name=_("用户"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        related_name="operators",
        verbose_name=_("社区"),
    )

    class Meta:
        unique_together = [("user", "community")]
        verbose_name = _("社区工作者")
        verbose_name_plural = _("社区工作者")

    def __str__(self) -> str:
        return f"{self.community} {self.user}"


class Issuer(models.Model):
    """A commerce bureau or street office that funds vouchers for a district."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="issuer_roles",
        verbose_name=_("用户"),
    )
    organisation = models.CharField(_("机构"), max_length=80)
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        related_name="issuers",
        verbose_name=_("区县"),
    )

    class Meta:
        unique_together = [("user", "district")]
        verbose_name = _("发券机构")
        verbose_name_plural = _("发券机构")

    def __str__(self) -> str:
        return f"{self.organisation}({self.district})"


class Planner(models.Model):
    """A district or street-office planner (区/街道规划人员).

    Sees every community of their area at once: the whole district when
    `street_office` is empty, only that street office's communities otherwise.
    Plans and measures (coverage, indicators, surveys); manages no shop,
    resident or money.
    """

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="planner_roles",
        verbose_name=_("用户"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.CASCADE,
        related_name="planners",
        verbose_name=_("区县"),
    )
    street_office = models.ForeignKey(
        StreetOffice,
        on_delete=models.CASCADE,
        related_name="planners",
        null=True,
        blank=True,
        verbose_name=_("街道"),
        help_text=_("留空表示全区"),
    )
    organisation = models.CharField(_("机构"), max_length=80, blank=True)

    class Meta:
        unique_together = [("user", "district", "street_office")]
        verbose_name = _("规划人员")
        verbose_name_plural = _("规划人员")

    def __str__(self) -> str:
        area = self.street_office or self.district
        return f"{self.organisation or self.user}({area})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.street_office_id and self.street_office.district_id != self.district_id:
            raise ValidationError({"street_office": _("街道不属于所选的区")})


class LoginAttempt(models.Model):
    """Failed logins, counted per username and IP to rate-limit guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        # Residents log in with their phone number: never print it whole.
        if phone_problem(self.username) is None:
            return f"{mask_phone(self.username)}@{self.ip}"
        return f"{self.username}@{self.ip}"


class KnownLoginSource(models.Model):
    """An address an account has logged in from: exempt from the account-wide limit.

    Many addresses guessing one account slow every *unknown* address for it;
    the owner's own network stays fast.
    """

    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField()
    last_login_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip"], name="known_source_once")
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip}"


class SmsGate(models.Model):
    """When a phone was last sent a code: one row per phone, claimed atomically.

    The resend gap is enforced by a conditional UPDATE of this row (or its
    INSERT), so a burst of parallel requests sends one code, not several.
    """

    phone = models.CharField(max_length=20, unique=True)
    last_sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.phone


class PhoneCode(models.Model):
    """A one-time code sent by SMS to prove a phone number (sign-up).

    Only a keyed hash of the code is stored. A code expires after
    `QUARTER_SMS_CODE_TTL_SECONDS`, is refused after
    `QUARTER_SMS_CODE_MAX_ATTEMPTS` wrong tries and is used at most once.
    The rows double as the resend counter (per phone and per IP).
    """

    phone = models.CharField(max_length=20, db_index=True)
    purpose = models.CharField(max_length=20, default="signup")
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.purpose}"


class AccessLog(models.Model):
    """Who viewed or exported which personal data, when and why (PIPL).

    Written by `people.services.log_personal_data_access`; read-only in the
    admin.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("查看")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")

    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    data = models.CharField(_("数据"), max_length=80)
    subject = models.CharField(_("对象"), max_length=120, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP 地址"))
    created_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")

    def __str__(self) -> str:
        from quarter.core.audit import sentence

        detail = "".join(
            [self.subject, _("(原因:%s)") % self.reason if self.reason else ""]
        )
        action = f"{self.get_action_display()}{self.data}"
        return sentence(self.created_at, self.actor, action, detail)
