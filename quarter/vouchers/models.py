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
        Issuer,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("发券机构"),
    )
    name = models.CharField(_("活动名称"), max_length=80)
    budget_fen = models.BigIntegerField(_("预算"))
    # Optional merchant co-funding in permille of the face value (0 = none).
    cofund_permille = models.PositiveSmallIntegerField(_("商户配资比例"), default=0)
    # The eligible area: these streets and communities together; both empty
    # means the issuer's whole district.
    street_offices = models.ManyToManyField(
        StreetOffice,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("选中街道的全部社区都可参加"),
        verbose_name=_("街道"),
    )
    communities = models.ManyToManyField(
        Community,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("街道和社区都留空表示发券机构所在区全部社区"),
        verbose_name=_("社区"),
    )
    business_types = models.ManyToManyField(
        BusinessType,
        blank=True,
        related_name="voucher_campaigns",
        help_text=_("留空表示全部业态"),
        verbose_name=_("业态"),
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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(verbose_name=_("创建时间"))

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
        Campaign,
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("消费券活动"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="voucher_pledges",
        verbose_name=_("商户"),
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("签署人"),
    )
    signed_at = models.DateTimeField(verbose_name=_("签署时间"))

    class Meta:
        unique_together = [("campaign", "merchant")]
        verbose_name = _("商户承诺")
        verbose_name_plural = _("商户承诺")

    def __str__(self) -> str:
        return f"{self.campaign} · {self.merchant}"


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
        Campaign,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("消费券活动"),
    )
    name = models.CharField(_("轮次名称"), max_length=80)
    release_at = models.DateTimeField(_("开抢时间"))
    claim_closes_at = models.DateTimeField(_("领取截止"))
    valid_from = models.DateTimeField(_("使用开始"))
    valid_until = models.DateTimeField(_("使用截止"))
    packets_total = models.PositiveIntegerField(_("券包数量"))
    packet_face_fen = models.BigIntegerField(_("每包面值"))
    person_limit = models.CharField(
        max_length=10,
        choices=PersonLimit.choices,
        default=PersonLimit.ROUND,
        verbose_name=_("每人限领"),
    )
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    mode = models.CharField(
        max_length=12,
        choices=ClaimMode.choices,
        default=ClaimMode.FIRST_COME,
        verbose_name=_("发放方式"),
    )
    stock_shards = models.PositiveSmallIntegerField(
        default=16, verbose_name=_("库存分片")
    )
    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.SCHEDULED,
        verbose_name=_("状态"),
    )
    stopped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("停止时间"))
    sold_out_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("领完时间")
    )
    # Lottery rounds: the seed drawn with, recorded so anyone can re-run the draw.
    draw_seed = models.CharField(max_length=40, blank=True, verbose_name=_("抽签种子"))
    drawn_at = models.DateTimeField(null=True, blank=True, verbose_name=_("抽签时间"))
    # Granted without a rush (免申即享, `services/grants.py`): never listed for
    # claiming; its stock is exactly the packets granted, so a tap finds none.
    granted = models.BooleanField(_("免申发放"), default=False)
    created_at = models.DateTimeField(verbose_name=_("创建时间"))

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

    round = models.ForeignKey(
        Round,
        on_delete=models.CASCADE,
        related_name="coupons",
        verbose_name=_("发放轮次"),
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("顺序"))
    face_fen = models.BigIntegerField(_("面值"))
    threshold_fen = models.BigIntegerField(_("门槛"))
    count = models.PositiveSmallIntegerField(_("张数"), default=1)
    business_type = models.ForeignKey(
        BusinessType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("业态"),
    )

    class Meta:
        verbose_name = _("券面配置")
        verbose_name_plural = _("券面配置")
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

    round = models.ForeignKey(
        Round,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("发放轮次"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("消费券活动"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="voucher_claims",
        verbose_name=_("居民"),
    )
    # The keyed hash of the ID number: one real person, one packet, whatever account.
    person_hash = models.CharField(max_length=64, verbose_name=_("身份摘要"))
    engine = models.CharField(max_length=10, verbose_name=_("领取通道"))
    # The engine's id of the claim, unique within its round only: the Redis
    # stream entry id (``<ms>-<seq>``, one stream per round, so two rounds
    # selling in the same millisecond share ids), "db:<round>:<resident>" or
    # "lottery:<round>:<resident>".
    source_id = models.CharField(max_length=40, verbose_name=_("来源编号"))
    # ISO week of the claim ('2026-W48') in a per-week round, else blank: one
    # packet per person per week across the campaign's per-week rounds.
    week = models.CharField(max_length=10, blank=True, verbose_name=_("周次"))
    # Where the claim came from, for the "one device or IP, many residents" rule.
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP 地址"))
    device = models.CharField(max_length=64, blank=True, verbose_name=_("设备"))
    claimed_at = models.DateTimeField(db_index=True, verbose_name=_("领取时间"))
    persisted_at = models.DateTimeField(verbose_name=_("入库时间"))
    # The writers insert claims in plain SQL; the database fills the state in.
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.ACTIVE,
        db_default=Status.ACTIVE,
        verbose_name=_("状态"),
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
        return f"{self.round} · {self.resident}"

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

    claim = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("领券记录"),
    )
    round = models.ForeignKey(
        Round,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("发放轮次"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("居民"),
    )
    face_fen = models.BigIntegerField(verbose_name=_("面值"))
    threshold_fen = models.BigIntegerField(verbose_name=_("使用门槛"))
    business_type = models.ForeignKey(
        BusinessType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("业态"),
    )
    valid_from = models.DateTimeField(verbose_name=_("生效时间"))
    valid_until = models.DateTimeField(db_index=True, verbose_name=_("到期时间"))
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.UNUSED,
        verbose_name=_("状态"),
    )
    status_at = models.DateTimeField(null=True, blank=True, verbose_name=_("状态时间"))

    class Meta:
        ordering = ["valid_until", "face_fen", "id"]
        verbose_name = _("消费券")
        verbose_name_plural = _("消费券")
        indexes = [
            models.Index(fields=["resident", "status"], name="voucher_resident_status")
        ]

    def __str__(self) -> str:
        face, threshold = format_yuan(self.face_fen), format_yuan(self.threshold_fen)
        return f"{self.resident} 满{threshold}减{face}"

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
        Voucher,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("消费券"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("商户"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("居民"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收银员"),
    )
    key = models.CharField(max_length=80, verbose_name=_("幂等键"))
    bill_fen = models.BigIntegerField(_("消费金额"))
    face_fen = models.BigIntegerField(_("抵扣"))
    # The merchant's co-funded part of face_fen, fixed at the till; the issuer
    # pays face_fen - cofund_fen at settlement.
    cofund_fen = models.BigIntegerField(_("商户配资"), default=0)
    payable_fen = models.BigIntegerField(_("实付"))
    # Cash given back to the customer: at most payable_fen, what they paid.
    refunded_fen = models.BigIntegerField(default=0, verbose_name=_("已退金额"))
    # The face value partial refunds took back (the refund rule, see
    # services.redemptions.refund_cut_fen): never paid out at settlement.
    refund_cut_fen = models.BigIntegerField(default=0, verbose_name=_("退款扣回"))
    status = models.CharField(
        max_length=10, choices=Status.choices, verbose_name=_("状态")
    )
    flags = models.JSONField(default=list, blank=True, verbose_name=_("风控标记"))
    device = models.CharField(max_length=80, blank=True, verbose_name=_("设备"))
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP 地址"))
    created_at = models.DateTimeField(db_index=True, verbose_name=_("核销时间"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("审核时间")
    )
    review_reason = models.TextField(blank=True, verbose_name=_("审核意见"))
    settlement = models.ForeignKey(
        "Settlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
        verbose_name=_("结算单"),
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
        face = format_yuan(self.face_fen)
        return f"{self.merchant} 抵扣{face} {self.get_status_display()}"

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
        Merchant,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("商户"),
    )
    business_date = models.DateField(verbose_name=_("营业日"))
    amount_fen = models.BigIntegerField(verbose_name=_("结算金额"))
    cofund_fen = models.BigIntegerField(default=0, verbose_name=_("商户配资"))
    bill_total_fen = models.BigIntegerField(verbose_name=_("消费总额"))
    count = models.PositiveIntegerField(verbose_name=_("笔数"))
    created_at = models.DateTimeField(verbose_name=_("创建时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
        verbose_name=_("状态"),
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("付款时间"))
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("付款人"),
    )
    # The bank transfer's reference, as the issuer's finance office gave it.
    payment_ref = models.CharField(_("付款凭证号"), max_length=80, blank=True)

    class Meta:
        ordering = ["-business_date", "merchant_id"]
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        unique_together = [("merchant", "business_date")]

    def __str__(self) -> str:
        return f"{self.merchant} · {self.business_date:%Y-%m-%d}"

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
        max_length=40,
        db_index=True,
        choices=VoucherEventKind.choices,
        verbose_name=_("类型"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("消费券活动"),
    )
    round = models.ForeignKey(
        Round,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("发放轮次"),
    )
    redemption = models.ForeignKey(
        Redemption,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("核销记录"),
    )
    # Whose wallet the event is about (a locked wallet code), if anyone's.
    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("居民"),
    )
    reason = models.TextField(blank=True, verbose_name=_("原因"))
    before = models.JSONField(default=dict, blank=True, verbose_name=_("变更前"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("变更后"))
    created_at = models.DateTimeField(verbose_name=_("时间"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消费券记录")
        verbose_name_plural = _("消费券记录")

    def __str__(self) -> str:
        from quarter.core.audit import event_detail, sentence

        detail = event_detail(self, None)
        return sentence(self.created_at, self.actor, self.get_kind_display(), detail)


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
        return f"{self.round} · {self.resident}"
