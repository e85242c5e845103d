"""Consumption vouchers, the Hangzhou model.

A `Campaign` is funded by an issuer with a budget in fen. It is released in
`Round`s at announced times; a round holds `packets_total` packets, each a
bundle of coupon templates (`RoundCoupon`, 满X减Y). A real-name resident
claims one packet per round (`Claim`), which puts one `Voucher` per coupon in
their wallet. At the till a merchant redeems the best voucher for a bill
(`Redemption`); risk rules may hold it for review; held-free redemptions are
paid out by a daily `Settlement`.

State machines. Each model below declares its states (`TextChoices`) and one
`Transitions` table (`quarter.core.states`); its `_transition()` refuses any
pair the table does not list with `state_transition_not_allowed`. The tables,
as `Transitions.describe()` prints them (tests check this text matches):

Round phase (`Round.phase(now)`, a `Phase`): the clock opens and closes a
round; a write stops it, sells it out (closed early) or releases it now.

    scheduled -> open, stopped
    open      -> closed, stopped
    closed    -> (final)
    stopped   -> (final)

A scheduled round may be changed (faces, quantity, times) with a reason; an
open round cannot be changed, only stopped.

Claim (the packet in the wallet): done once no voucher of it is unused; a
full refund inside validity makes it active again.

    active -> done
    done   -> active

Voucher: used at the till; a full refund restores it (or expires it when the
use window is over); unused vouchers expire at the end of the use window.

    unused  -> expired, used
    used    -> expired, unused
    expired -> (final)

Redemption (created accepted, or held by a risk rule): an operator releases
or rejects a held one; a full refund before settlement ends either; the T+1
settlement pays accepted ones.

    accepted -> refunded, settled
    held     -> accepted, refunded, rejected
    rejected -> (final)
    refunded -> (final)
    settled  -> (final)

Settlement (one merchant, one business day): the issuer records the bank
transfer that paid it.

    pending -> paid
    paid    -> (final)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core.money import format_yuan
from quarter.core.states import Transitions
from quarter.people.models import Issuer, Resident
from quarter.places.models import BusinessType, Community, Merchant, StreetOffice
from quarter.vouchers.errors import VoucherErrorCode


def _machine(name: str, table: dict) -> Transitions:
    return Transitions(
        name,
        table,
        code=VoucherErrorCode.TRANSITION_REFUSED,
        message=_("当前状态下不能进行这项操作"),
    )


class CardStacking(models.TextChoices):
    """How a 满减 voucher of a campaign combines with the community card's rate."""

    AFTER_CARD = "after_card", _("折后满减:先打大家卡折扣,满减按折后金额计算")
    ON_BILL = "on_bill", _("原价满减:满减按原价计算,与大家卡折扣同享")
    EXCLUSIVE = "exclusive", _("不同享:大家卡与消费券二选一,取更优惠的")


class Campaign(models.Model):
    issuer = models.ForeignKey(
        Issuer, on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("活动名称"), max_length=80)
    budget_fen = models.BigIntegerField(_("预算(分)"))
    # Optional merchant co-funding in permille of the face value (0 = none).
    cofund_permille = models.PositiveSmallIntegerField(_("商户配资(千分比)"), default=0)
    # The eligible area: these streets and communities together; both empty
    # means the issuer's whole district.
    street_offices = models.ManyToManyField(
        StreetOffice,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("选中街道的全部社区都可参加"),
    )
    communities = models.ManyToManyField(
        Community,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("街道和社区都留空表示发券机构所在区全部社区"),
    )
    business_types = models.ManyToManyField(
        BusinessType,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("留空表示全部业态"),
    )
    max_per_merchant_per_day = models.PositiveSmallIntegerField(
        _("每人每店每日最多用券"), default=1
    )
    # With the community card at the till (quarter/card/stacking.py).
    card_stacking = models.CharField(
        _("与大家卡叠加"),
        max_length=12,
        choices=CardStacking.choices,
        default=CardStacking.AFTER_CARD,
    )
    # Off: only residents on their community's register may claim
    # (`people.access.is_registered_resident`).
    open_to_unregistered = models.BooleanField(
        _("未登记居民也可领取"),
        default=False,
        help_text=_("勾选后,不在社区居民名册中的实名居民也可以领取"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消费券活动")
        verbose_name_plural = _("消费券活动")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(budget_fen__gt=0), name="campaign_budget_pos"
            ),
            models.CheckConstraint(
                condition=models.Q(cofund_permille__lte=1000),
                name="campaign_cofund_permille_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bucket(self) -> str:
        return f"campaign:{self.pk}"

    def area_community_ids(self) -> set[int] | None:
        """Communities of the eligible area; None means the issuer's whole district."""
        streets = list(self.street_offices.values_list("pk", flat=True))
        picked = set(self.communities.values_list("pk", flat=True))
        if streets:
            picked |= set(
                Community.objects.filter(street_office_id__in=streets).values_list(
                    "pk", flat=True
                )
            )
        return picked if picked or streets else None

    def covers(self, community: Community) -> bool:
        """Whether residents and shops of `community` are inside the eligible area."""
        area = self.area_community_ids()
        if area is None:
            return community.street_office.district_id == self.issuer.district_id
        return community.pk in area

    def merchant_share_fen(self, face_fen: int) -> int:
        """The part of a coupon's face value the accepting merchant funds (half up)."""
        return (face_fen * self.cofund_permille + 500) // 1000


class MerchantPledge(models.Model):
    """A merchant's signed pledge (no fake prices, no disguised rises):
    it may accept vouchers."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="pledges"
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="voucher_pledges"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        unique_together = [("campaign", "merchant")]
        verbose_name = _("商户承诺")
        verbose_name_plural = _("商户承诺")

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.merchant_id}"


class ClaimMode(models.TextChoices):
    FIRST_COME = "first_come", _("先到先得")
    LOTTERY = "lottery", _("报名摇号")


class PersonLimit(models.TextChoices):
    ROUND = "round", _("每轮每人一份")
    WEEK = "week", _("每周每人一份")


class Phase(models.TextChoices):
    """Where a round is at a moment; the values are what templates compare."""

    SCHEDULED = "scheduled", _("未开始")
    OPEN = "open", _("抢券中")
    CLOSED = "closed", _("已结束")
    STOPPED = "stopped", _("已停止")


ROUND_TRANSITIONS = _machine(
    "round",
    {
        Phase.SCHEDULED: {Phase.OPEN, Phase.STOPPED},
        Phase.OPEN: {Phase.CLOSED, Phase.STOPPED},
        Phase.CLOSED: set(),
        Phase.STOPPED: set(),
    },
)


class Round(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("未开始")
        STOPPED = "stopped", _("已停止")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField(_("轮次名称"), max_length=80)
    release_at = models.DateTimeField(_("开抢时间"))
    claim_closes_at = models.DateTimeField(_("领取截止"))
    valid_from = models.DateTimeField(_("使用开始"))
    valid_until = models.DateTimeField(_("使用截止"))
    packets_total = models.PositiveIntegerField(_("券包数量"))
    packet_face_fen = models.BigIntegerField(_("每包面值(分)"))
    person_limit = models.CharField(
        max_length=10, choices=PersonLimit.choices, default=PersonLimit.ROUND
    )
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    mode = models.CharField(
        max_length=12, choices=ClaimMode.choices, default=ClaimMode.FIRST_COME
    )
    stock_shards = models.PositiveSmallIntegerField(default=16)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    sold_out_at = models.DateTimeField(null=True, blank=True)
    # Lottery rounds: the seed drawn with, recorded so anyone can re-run the draw.
    draw_seed = models.CharField(max_length=40, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    # Granted without a rush (免申即享, `services/grants.py`): never listed for
    # claiming; its stock is exactly the packets granted, so a tap finds none.
    granted = models.BooleanField(_("免申发放"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["release_at", "id"]
        verbose_name = _("发放轮次")
        verbose_name_plural = _("发放轮次")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(packets_total__gt=0), name="round_packets_pos"
            ),
            models.CheckConstraint(
                condition=models.Q(claim_closes_at__gt=models.F("release_at"))
                & models.Q(valid_until__gt=models.F("valid_from")),
                name="round_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def committed_fen(self) -> int:
        return self.packets_total * self.packet_face_fen

    @property
    def limits_per_week(self) -> bool:
        """One packet per person per week across the campaign's per-week rounds.

        Applies to first-come rounds; a lottery round's draw has no claim week.
        """
        return (
            self.person_limit == PersonLimit.WEEK and self.mode == ClaimMode.FIRST_COME
        )

    def phase(self, now) -> Phase:
        """Return the round's `Phase` at `now`."""
        if self.status == Round.Status.STOPPED:
            return Phase.STOPPED
        if now < self.release_at:
            return Phase.SCHEDULED
        if now >= self.claim_closes_at or self.sold_out_at is not None:
            return Phase.CLOSED
        return Phase.OPEN

    def _transition(self, target: Phase, *, now) -> list[str]:
        """Move the round to `target` at `now` if the table allows; return the fields.

        stopped: status and stopped_at; closed: sold out now (the clock closes
        it otherwise); open: released now. The caller saves the fields inside
        its transaction, with the round locked.
        """
        ROUND_TRANSITIONS.check(self.phase(now), target)
        if target == Phase.STOPPED:
            self.status, self.stopped_at = Round.Status.STOPPED, now
            return ["status", "stopped_at"]
        if target == Phase.CLOSED:
            self.sold_out_at = now
            return ["sold_out_at"]
        self.release_at = now
        return ["release_at"]


class RoundCoupon(models.Model):
    """One coupon template of a round's packet: `count` × 满threshold减face."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="coupons")
    position = models.PositiveSmallIntegerField(default=0)
    face_fen = models.BigIntegerField(_("面值(分)"))
    threshold_fen = models.BigIntegerField(_("门槛(分)"))
    count = models.PositiveSmallIntegerField(_("张数"), default=1)
    business_type = models.ForeignKey(
        BusinessType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(face_fen__gt=0)
                & models.Q(threshold_fen__gte=models.F("face_fen"))
                & models.Q(count__gt=0),
                name="round_coupon_valid",
            )
        ]

    def __str__(self) -> str:
        face, threshold = format_yuan(self.face_fen), format_yuan(self.threshold_fen)
        return f"{self.count} × 满{threshold}减{face}"


class StockShard(models.Model):
    """One of several counter rows holding a round's remaining packets
    (database engine)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="shards")
    shard = models.PositiveSmallIntegerField()
    remaining = models.IntegerField()

    class Meta:
        unique_together = [("round", "shard")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remaining__gte=0), name="stock_shard_nonneg"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id}/{self.shard}: {self.remaining}"


class Claim(models.Model):
    """A resident's packet of one round.
    Unique per (round, resident) and per (round, person)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("可使用")
        DONE = "done", _("已用完或过期")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="claims")
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="claims"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="voucher_claims"
    )
    # The keyed hash of the ID number: one real person, one packet, whatever account.
    person_hash = models.CharField(max_length=64)
    engine = models.CharField(max_length=10)
    # The engine's id of the claim, unique within its round only: the Redis
    # stream entry id (``<ms>-<seq>``, one stream per round, so two rounds
    # selling in the same millisecond share ids), "db:<round>:<resident>" or
    # "lottery:<round>:<resident>".
    source_id = models.CharField(max_length=40)
    # ISO week of the claim ('2026-W48') in a per-week round, else blank: one
    # packet per person per week across the campaign's per-week rounds.
    week = models.CharField(max_length=10, blank=True)
    # Where the claim came from, for the "one device or IP, many residents" rule.
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(db_index=True)
    persisted_at = models.DateTimeField()
    # The writers insert claims in plain SQL; the database fills the state in.
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.ACTIVE,
        db_default=Status.ACTIVE,
    )

    class Meta:
        ordering = ["claimed_at", "id"]
        verbose_name = _("领券记录")
        verbose_name_plural = _("领券记录")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "resident"], name="claim_one_per_resident"
            ),
            models.UniqueConstraint(
                fields=["round", "source_id"], name="claim_source_unique_per_round"
            ),
            models.UniqueConstraint(
                fields=["round", "person_hash"], name="claim_one_per_person"
            ),
            models.UniqueConstraint(
                fields=["campaign", "person_hash", "week"],
                condition=~models.Q(week=""),
                name="claim_one_per_person_per_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.resident_id}"

    def _transition(self, target: str) -> list[str]:
        """Set the claim's state to `target` if the table allows; return the fields."""
        CLAIM_TRANSITIONS.check(self.status, target)
        self.status = target
        return ["status"]


CLAIM_TRANSITIONS = _machine(
    "claim",
    {
        Claim.Status.ACTIVE: {Claim.Status.DONE},
        Claim.Status.DONE: {Claim.Status.ACTIVE},
    },
)


class Voucher(models.Model):
    class Status(models.TextChoices):
        UNUSED = "unused", _("未使用")
        USED = "used", _("已使用")
        EXPIRED = "expired", _("已过期")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="vouchers")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="vouchers")
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="vouchers"
    )
    face_fen = models.BigIntegerField()
    threshold_fen = models.BigIntegerField()
    business_type = models.ForeignKey(
        BusinessType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.UNUSED
    )
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["valid_until", "face_fen", "id"]
        verbose_name = _("消费券")
        verbose_name_plural = _("消费券")
        indexes = [
            models.Index(fields=["resident", "status"], name="voucher_resident_status")
        ]

    def __str__(self) -> str:
        face, threshold = format_yuan(self.face_fen), format_yuan(self.threshold_fen)
        return f"{self.resident_id} 满{threshold}减{face}"

    def _transition(self, target: str, *, now) -> list[str]:
        """Set the voucher's state to `target` at `now` if the table allows."""
        VOUCHER_TRANSITIONS.check(self.status, target)
        self.status, self.status_at = target, now
        return ["status", "status_at"]


VOUCHER_TRANSITIONS = _machine(
    "voucher",
    {
        Voucher.Status.UNUSED: {Voucher.Status.USED, Voucher.Status.EXPIRED},
        Voucher.Status.USED: {Voucher.Status.UNUSED, Voucher.Status.EXPIRED},
        Voucher.Status.EXPIRED: set(),
    },
)


class Redemption(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已核销")
        HELD = "held", _("风控待审")
        REJECTED = "rejected", _("审核驳回")
        REFUNDED = "refunded", _("全额退款")
        SETTLED = "settled", _("已结算")

    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, related_name="redemptions"
    )
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="redemptions"
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="redemptions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(max_length=80)
    bill_fen = models.BigIntegerField(_("消费金额(分)"))
    face_fen = models.BigIntegerField(_("抵扣(分)"))
    # The merchant's co-funded part of face_fen, fixed at the till; the issuer
    # pays face_fen - cofund_fen at settlement.
    cofund_fen = models.BigIntegerField(_("商户配资(分)"), default=0)
    payable_fen = models.BigIntegerField(_("实付(分)"))
    # Cash given back to the customer: at most payable_fen, what they paid.
    refunded_fen = models.BigIntegerField(default=0)
    # The face value partial refunds took back (the refund rule, see
    # services.redemptions.refund_cut_fen): never paid out at settlement.
    refund_cut_fen = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices)
    flags = models.JSONField(default=list, blank=True)
    device = models.CharField(max_length=80, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    settlement = models.ForeignKey(
        "Settlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("核销记录")
        verbose_name_plural = _("核销记录")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "key"], name="redemption_key_per_merchant"
            ),
            models.UniqueConstraint(
                fields=["voucher"],
                condition=~models.Q(status__in=["refunded", "rejected"]),
                name="redemption_one_live_per_voucher",
            ),
            models.CheckConstraint(
                condition=models.Q(bill_fen__gte=models.F("face_fen"), face_fen__gt=0),
                name="redemption_amounts_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    cofund_fen__gte=0, cofund_fen__lte=models.F("face_fen")
                ),
                name="redemption_cofund_within_face",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    refunded_fen__gte=0,
                    refunded_fen__lte=models.F("payable_fen"),
                    refund_cut_fen__gte=0,
                    refund_cut_fen__lte=models.F("face_fen"),
                ),
                name="redemption_refund_within_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} · {self.voucher_id} {self.get_status_display()}"

    @property
    def subsidy_fen(self) -> int:
        """What the issuer pays the merchant for this redemption.

        Face value less the shop's co-funded share and less the part of the
        face value a partial refund took back (`refund_cut_fen`).
        """
        return self.face_fen - self.refund_cut_fen - self.kept_cofund_fen

    @property
    def kept_cofund_fen(self) -> int:
        """The shop's co-funded share of the face value a refund did not take back.

        Partial refunds cut the co-funded share in the same proportion as the
        face value (rounded so the issuer's share never goes below zero).
        """
        if not self.refunded_fen or not self.payable_fen:
            return self.cofund_fen
        return self.cofund_fen - self.cofund_fen * self.refunded_fen // self.payable_fen

    def _transition(self, target: str) -> list[str]:
        """Set the redemption's state to `target` if the table allows."""
        REDEMPTION_TRANSITIONS.check(self.status, target)
        self.status = target
        return ["status"]


REDEMPTION_TRANSITIONS = _machine(
    "redemption",
    {
        Redemption.Status.ACCEPTED: {
            Redemption.Status.REFUNDED,
            Redemption.Status.SETTLED,
        },
        Redemption.Status.HELD: {
            Redemption.Status.ACCEPTED,
            Redemption.Status.REFUNDED,
            Redemption.Status.REJECTED,
        },
        Redemption.Status.REJECTED: set(),
        Redemption.Status.REFUNDED: set(),
        Redemption.Status.SETTLED: set(),
    },
)


class Settlement(models.Model):
    """A T+1 payout to one merchant for one business day's accepted redemptions."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待付款")
        PAID = "paid", _("已付款")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="settlements"
    )
    business_date = models.DateField()
    amount_fen = models.BigIntegerField()
    cofund_fen = models.BigIntegerField(default=0)
    bill_total_fen = models.BigIntegerField()
    count = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The bank transfer's reference, as the issuer's finance office gave it.
    payment_ref = models.CharField(_("付款凭证号"), max_length=80, blank=True)

    class Meta:
        ordering = ["-business_date", "merchant_id"]
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        unique_together = [("merchant", "business_date")]

    def __str__(self) -> str:
        return f"{self.merchant_id} · {self.business_date}"

    def _transition(self, target: str) -> list[str]:
        """Set the settlement's state to `target` if the table allows."""
        SETTLEMENT_TRANSITIONS.check(self.status, target)
        self.status = target
        return ["status"]


SETTLEMENT_TRANSITIONS = _machine(
    "settlement",
    {
        Settlement.Status.PENDING: {Settlement.Status.PAID},
        Settlement.Status.PAID: set(),
    },
)


class VoucherEventKind(models.TextChoices):
    """Every kind of audit event; `events.py` has one function per kind."""

    CAMPAIGN_CREATED = "campaign_created", _("创建活动")
    ROUND_CREATED = "round_created", _("创建轮次")
    ROUND_CHANGED = "round_changed", _("修改轮次")
    ROUND_STOPPED = "round_stopped", _("停止轮次")
    LOTTERY_DRAWN = "lottery_drawn", _("公开摇号")
    MERCHANT_PLEDGED = "merchant_pledged", _("商户签署承诺")
    REDEMPTION_MADE = "redemption_made", _("核销")
    REDEMPTION_REFUNDED = "redemption_refunded", _("退款")
    REDEMPTION_REVIEWED = "redemption_reviewed", _("风控审核")
    VOUCHERS_EXPIRED = "vouchers_expired", _("消费券过期")
    SETTLEMENT_MADE = "settlement_made", _("生成结算单")
    SETTLEMENT_PAID = "settlement_paid", _("结算单已付款")
    WALLET_CODE_LOCKED = "wallet_code_locked", _("付款码多次输错被锁定")


class VoucherEvent(models.Model):
    """Audit trail: who did what to which campaign, round, claim or redemption,
    and why."""

    kind = models.CharField(
        max_length=40, db_index=True, choices=VoucherEventKind.choices
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    redemption = models.ForeignKey(
        Redemption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    # Whose wallet the event is about (a locked wallet code), if anyone's.
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消费券记录")
        verbose_name_plural = _("消费券记录")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class RateCounter(models.Model):
    """A fixed-window hit counter shared by all app servers (when Redis is absent).

    UNLOGGED on PostgreSQL (migration 0005): counting a hit never waits for the disk.
    """

    key = models.CharField(max_length=160, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class LotteryEntry(models.Model):
    """A resident's registration for a lottery round
    (one per resident and per person)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    person_hash = models.CharField(max_length=64)
    registered_at = models.DateTimeField()
    won = models.BooleanField(null=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "resident"], name="lottery_one_per_resident"
            ),
            models.UniqueConstraint(
                fields=["round", "person_hash"], name="lottery_one_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} · {self.resident_id}"
