"""Benefits granted without applying (免申即享, 服务找人).

An operator (for their community) or an issuer (for their district) writes a
`BenefitRule`: who qualifies (facts of the resident register, or merchant
attributes), what they get (a voucher packet paid from an issuer's campaign,
or a fee relief entry for a merchant) and when (a start date, an optional end
date, once or every month). The daily job (`grant_benefits`) evaluates every
enabled rule and writes one `BenefitGrant` per rule, person and period, with
the facts that made the person eligible; a grant the campaign's budget cannot
cover is not made and is recorded as a `BenefitShortfall`.

Rule state (one `Transitions` table, checked by `BenefitRule._transition`):

    draft   -> enabled, ended
    enabled -> ended, paused
    paused  -> enabled, ended
    ended   -> (final)

Only a draft rule may be edited; only an enabled rule grants.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.benefits.errors import BenefitErrorCode
from quarter.core.states import Transitions
from quarter.people.models import Resident
from quarter.places.models import (
    BusinessType,
    Community,
    Compound,
    District,
    Merchant,
    Tier,
)
from quarter.vouchers.models import Campaign, Claim, Round


class RuleState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ENABLED = "enabled", _("已启用")
    PAUSED = "paused", _("已暂停")
    ENDED = "ended", _("已结束")


RULE_TRANSITIONS = Transitions(
    "benefit_rule",
    {
        RuleState.DRAFT: {RuleState.ENABLED, RuleState.ENDED},
        RuleState.ENABLED: {RuleState.PAUSED, RuleState.ENDED},
        RuleState.PAUSED: {RuleState.ENABLED, RuleState.ENDED},
        RuleState.ENDED: set(),
    },
    code=BenefitErrorCode.TRANSITION_REFUSED,
    message=_("当前状态下不能进行这项操作"),
)


class Subject(models.TextChoices):
    RESIDENT = "resident", _("居民")
    MERCHANT = "merchant", _("商户")


class BenefitKind(models.TextChoices):
    VOUCHER = "voucher", _("消费券包")
    FEE_RELIEF = "fee_relief", _("费用减免")


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", _("每月一次")
    ONCE = "once", _("整个期间一次")


class HouseholdType(models.TextChoices):
    """Household types derived from the register (see `rules.household_facts`)."""

    ANY = "", _("不限")
    ALONE = "alone", _("独居(同一门牌只登记一人)")
    ELDERLY_ONLY = "elderly_only", _("纯老年人家庭(同一门牌登记的人都满60周岁)")
    WITH_MINOR = "with_minor", _("有未成年人家庭(同一门牌有人未满18周岁)")


class BenefitRule(models.Model):
    name = models.CharField(_("规则名称"), max_length=80)
    subject = models.CharField(
        _("对象"), max_length=10, choices=Subject.choices, default=Subject.RESIDENT
    )
    # Exactly one of the two: an operator's community or an issuer's district.
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_rules",
        verbose_name=_("社区"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_rules",
        verbose_name=_("区县"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=RuleState.choices, default=RuleState.DRAFT
    )
    # Who qualifies: residents.
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("最高年龄"), null=True, blank=True)
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("限定小区"),
    )
    registered_only = models.BooleanField(_("仅限名册在册居民"), default=True)
    household_type = models.CharField(
        _("家庭类型"),
        max_length=20,
        choices=HouseholdType.choices,
        default=HouseholdType.ANY,
        blank=True,
    )
    # Who qualifies: merchants.
    tier = models.CharField(
        _("业态类别"), max_length=10, choices=Tier.choices, blank=True
    )
    business_types = models.ManyToManyField(
        BusinessType, blank=True, related_name="+", verbose_name=_("业态")
    )
    small_only = models.BooleanField(_("仅限非连锁小店"), default=False)
    gap_households_min = models.PositiveIntegerField(
        _("填补缺口:独家服务至少多少户"),
        null=True,
        blank=True,
        help_text=_("该店是至少这么多户居民步行15分钟内唯一的同类店"),
    )
    employees_max = models.PositiveIntegerField(
        _("小微商户:从业人数不超过"),
        null=True,
        blank=True,
        help_text=_("按商户自报的从业人数认定;未填报人数的商户不符合"),
    )
    # What they get.
    kind = models.CharField(
        _("福利内容"),
        max_length=12,
        choices=BenefitKind.choices,
        default=BenefitKind.VOUCHER,
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_rules",
        verbose_name=_("资金来源活动"),
    )
    face_fen = models.BigIntegerField(_("每张面值"), default=0)
    threshold_fen = models.BigIntegerField(_("使用门槛"), default=0)
    coupon_count = models.PositiveSmallIntegerField(_("每次张数"), default=1)
    coupon_business_type = models.ForeignKey(
        BusinessType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("限定使用业态"),
    )
    relief_fen = models.BigIntegerField(_("减免金额"), default=0)
    # When.
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    recurrence = models.CharField(
        _("发放周期"),
        max_length=10,
        choices=Recurrence.choices,
        default=Recurrence.MONTHLY,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("免申即享规则")
        verbose_name_plural = _("免申即享规则")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(community__isnull=True, district__isnull=False)
                | models.Q(community__isnull=False, district__isnull=True),
                name="benefit_rule_one_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="benefit_rule_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def packet_face_fen(self) -> int:
        return self.face_fen * self.coupon_count

    def _transition(self, target: str) -> list[str]:
        """Set the rule's state to `target` if the table allows; return the fields."""
        RULE_TRANSITIONS.check(self.state, target)
        self.state = target
        return ["state"]


class RulePeriod(models.Model):
    """One period of a rule (a month, or the whole span) and its granted round."""

    rule = models.ForeignKey(
        BenefitRule, on_delete=models.CASCADE, related_name="periods"
    )
    period = models.CharField(_("周期"), max_length=10)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    round = models.OneToOneField(
        Round, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["rule", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "period"], name="benefit_period_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.period}"


class BenefitRun(models.Model):
    """One evaluation of the enabled rules (the daily job, or a test)."""

    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    granted = models.PositiveIntegerField(_("新发放"), default=0)
    already = models.PositiveIntegerField(_("本期已发"), default=0)
    shortfalls = models.PositiveIntegerField(_("预算不足未发"), default=0)
    waiting = models.PositiveIntegerField(_("待实名认证"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("发放运行记录")
        verbose_name_plural = _("发放运行记录")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class BenefitGrant(models.Model):
    """What one person (or merchant) got from one rule in one period, and why."""

    rule = models.ForeignKey(
        BenefitRule,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("规则"),
    )
    period = models.CharField(_("周期"), max_length=10)
    # The keyed ID hash (one real person whatever the account), or
    # "merchant:<id>": the unique key of the grant with rule and period.
    person_key = models.CharField(max_length=80, verbose_name=_("身份键"))
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_grants",
        verbose_name=_("居民"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_grants",
        verbose_name=_("商户"),
    )
    kind = models.CharField(_("福利内容"), max_length=12, choices=BenefitKind.choices)
    amount_fen = models.BigIntegerField(_("金额"))
    claim = models.OneToOneField(
        Claim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("领券记录"),
    )
    valid_from = models.DateTimeField(_("有效期起"))
    valid_until = models.DateTimeField(_("有效期止"))
    # The facts that made the person eligible, as seen at the grant:
    # [{"key": "age", "value": 72, "text": "……"}, ...].
    facts = models.JSONField(_("符合条件的事实"), default=list)
    run = models.ForeignKey(
        BenefitRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发放运行"),
    )
    created_at = models.DateTimeField(_("发放时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("免申即享发放记录")
        verbose_name_plural = _("免申即享发放记录")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "person_key", "period"], name="benefit_grant_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.period}"


class BenefitShortfall(models.Model):
    """A grant the rule's campaign could not cover: recorded, never half made."""

    rule = models.ForeignKey(
        BenefitRule,
        on_delete=models.CASCADE,
        related_name="shortfalls",
        verbose_name=_("规则"),
    )
    period = models.CharField(_("周期"), max_length=10)
    person_key = models.CharField(max_length=80, verbose_name=_("身份键"))
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="+", verbose_name=_("居民")
    )
    needed_fen = models.BigIntegerField(_("需要"))
    available_fen = models.BigIntegerField(_("剩余预算"))
    first_seen_at = models.DateTimeField(_("首次发现"))
    last_seen_at = models.DateTimeField(_("最近一次"))
    # Set when a later run could grant after all (the budget was topped up).
    resolved_at = models.DateTimeField(_("已补发"), null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("预算不足记录")
        verbose_name_plural = _("预算不足记录")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "person_key", "period"], name="benefit_shortfall_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.period}"


class BenefitEventKind(models.TextChoices):
    RULE_CREATED = "rule_created", _("创建规则")
    RULE_STATE_CHANGED = "rule_state_changed", _("规则状态变更")
    RULE_UPDATED = "rule_updated", _("修改规则")
    RULE_PREVIEWED = "rule_previewed", _("预览匹配名单")


class BenefitEvent(models.Model):
    """Audit trail of the rules: who created, previewed, enabled or ended them."""

    kind = models.CharField(_("事项"), max_length=30, choices=BenefitEventKind.choices)
    rule = models.ForeignKey(
        BenefitRule,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("规则"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.TextField(_("原因"), blank=True)
    before = models.JSONField(default=dict, blank=True, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("变更后"))
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("规则记录")
        verbose_name_plural = _("规则记录")

    def __str__(self) -> str:
        from quarter.core.audit import event_detail, sentence

        detail = event_detail(self, BenefitRule)
        return sentence(self.created_at, self.actor, self.get_kind_display(), detail)

    def changed_labels(self) -> list[str]:
        """The Chinese names of the terms a `rule_updated` event changed."""
        labels = []
        for key in self.after:
            try:
                labels.append(str(BenefitRule._meta.get_field(key).verbose_name))
            except FieldDoesNotExist:  # a term that is not a field
                labels.append(str(key))
        return labels
