"""Sharing rewards (分享经济): referral links, bindings, promotions, rewards.

A resident's `ReferralLink` carries a code; a neighbour who signs up through
it is bound to them once by a `Referral` (one row per referee, never
changed). A merchant's `Promotion` says what share of a bill it gives to the
referrer of a paying referee. Each `Reward` is one visit's share; its money
lives on the ledger (see `accounts.py`), the row says where it stands:

    pending  --(refund window over: release)-->  released
    pending  --(payment wholly refunded)------>  reversed

A partial refund reverses the same share of a pending reward and leaves it
pending. A `Withdrawal` is requested by the resident and approved or
rejected by an operator of their community:

    requested --> approved | rejected
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.states import Transitions
from quarter.people.models import Resident, User
from quarter.places.models import Merchant


class ImmutableError(RuntimeError):
    """Raised when code tries to change a referral binding after it was made."""


class ReferralLink(models.Model):
    """A resident's referral code (the link is /r/<code>/)."""

    resident = models.OneToOneField(
        Resident, on_delete=models.CASCADE, related_name="referral_link"
    )
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("邀请码")
        verbose_name_plural = _("邀请码")

    def __str__(self) -> str:
        return self.code


class Referral(models.Model):
    """The binding of a referee to their referrer: written once, never changed."""

    referee = models.OneToOneField(
        Resident, on_delete=models.PROTECT, related_name="referred_by"
    )
    referrer = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="referrals"
    )
    code = models.CharField(max_length=16)
    bound_at = models.DateTimeField()
    # Rewards are earned for payments before this moment (12 months).
    rewards_until = models.DateTimeField()

    class Meta:
        verbose_name = _("推荐关系")
        verbose_name_plural = _("推荐关系")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(referee=models.F("referrer")),
                name="referral_not_self",
            )
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} -> {self.referee_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("a referral binding cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("a referral binding cannot be deleted")


class Promotion(models.Model):
    """A merchant's opt-in: `rate_permille` of each referee's payment."""

    class State(models.TextChoices):
        ACTIVE = "active", _("推广中")
        PAUSED = "paused", _("预算用完,已暂停")
        OFF = "off", _("未参加")

    merchant = models.OneToOneField(
        Merchant, on_delete=models.CASCADE, related_name="promotion"
    )
    rate_permille = models.PositiveSmallIntegerField(_("推广比例(‰)"))
    state = models.CharField(
        _("状态"), max_length=8, choices=State.choices, default=State.ACTIVE
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("商户推广")
        verbose_name_plural = _("商户推广")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_permille__gte=1, rate_permille__lte=200),
                name="promotion_rate_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.rate_permille}‰"


class TopUp(models.Model):
    """A payment of the merchant into its promotion budget, recorded by an operator."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="promotion_topups"
    )
    amount_fen = models.BigIntegerField(_("金额(分)"))
    note = models.CharField(_("凭证说明"), max_length=120)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True
    )
    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("推广预算充值")
        verbose_name_plural = _("推广预算充值")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="topup_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.amount_fen}"


class Reward(models.Model):
    """The referrer's share of one referee's payment (one per visit)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待到账")
        RELEASED = "released", _("可提现")
        REVERSED = "reversed", _("已冲回")

    visit = models.OneToOneField(
        "card.Visit", on_delete=models.PROTECT, related_name="referral_reward"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="rewards"
    )
    referrer = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="referral_rewards"
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="referral_rewards"
    )
    base_fen = models.BigIntegerField(_("计奖金额(分)"))
    rate_permille = models.PositiveSmallIntegerField()
    amount_fen = models.BigIntegerField(_("奖励(分)"))
    reversed_fen = models.BigIntegerField(_("已冲回(分)"), default=0)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    month = models.CharField(max_length=7, db_index=True)  # 2026-12, Shanghai
    created_at = models.DateTimeField()
    release_at = models.DateTimeField(db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("分享奖励")
        verbose_name_plural = _("分享奖励")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    amount_fen__gt=0,
                    reversed_fen__gte=0,
                    reversed_fen__lte=models.F("amount_fen"),
                ),
                name="reward_amounts_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"visit {self.visit_id} {self.amount_fen}"

    @property
    def net_fen(self) -> int:
        return self.amount_fen - self.reversed_fen


class Withdrawal(models.Model):
    """A resident's request to be paid their withdrawable rewards."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="referral_withdrawals"
    )
    amount_fen = models.BigIntegerField(_("金额(分)"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    key = models.CharField(max_length=80, unique=True)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("提现申请")
        verbose_name_plural = _("提现申请")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_fen__gt=0), name="withdrawal_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.amount_fen} {self.status}"


class ReferralEvent(models.Model):
    """Audit trail: bindings, refusals, opt-ins, top-ups, pauses, withdrawals."""

    class Kind(models.TextChoices):
        BOUND = "bound", _("绑定推荐关系")
        REFUSED = "refused", _("拒绝推荐关系")
        PROMOTION_SET = "promotion_set", _("设置推广")
        PAUSED = "paused", _("预算用完暂停")
        TOPPED_UP = "topped_up", _("充值推广预算")
        WITHDRAWAL_REQUESTED = "w_requested", _("申请提现")
        WITHDRAWAL_APPROVED = "w_approved", _("批准提现")
        WITHDRAWAL_REJECTED = "w_rejected", _("驳回提现")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("分享奖励记录")
        verbose_name_plural = _("分享奖励记录")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


REWARD_STATES = Transitions(
    "reward",
    {
        Reward.Status.PENDING: [Reward.Status.RELEASED, Reward.Status.REVERSED],
        Reward.Status.RELEASED: [],
        Reward.Status.REVERSED: [],
    },
    code="reward_state",
)
WITHDRAWAL_STATES = Transitions(
    "withdrawal",
    {
        Withdrawal.Status.REQUESTED: [
            Withdrawal.Status.APPROVED,
            Withdrawal.Status.REJECTED,
        ],
        Withdrawal.Status.APPROVED: [],
        Withdrawal.Status.REJECTED: [],
    },
    code="withdrawal_already_decided",
    message="这笔提现申请已处理过",
)
