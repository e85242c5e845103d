"""Consumption vouchers, the Hangzhou model.

A `Campaign` is funded by an issuer with a budget in fen. It is released in
`Round`s at announced times; a round holds `packets_total` packets, each a
bundle of coupon templates (`RoundCoupon`, 满X减Y). A real-name resident
claims one packet per round (`Claim`), which puts one `Voucher` per coupon in
their wallet. At the till a merchant redeems the best voucher for a bill
(`Redemption`); risk rules may hold it for review; held-free redemptions are
paid out by a daily `Settlement`.

Round life cycle (time-driven, with one manual stop):

    scheduled --release_at--> open --claim_closes_at / sold out--> closed
        \\________ stop (reason) ________/--> stopped

A scheduled round may be changed (faces, quantity, times) with a reason; an
open round cannot be changed, only stopped.

Voucher states: unused -> used (redeemed) -> unused again on a full refund;
unused -> expired at the end of the use window. Redemption states: accepted,
held (risk) -> accepted | rejected by an operator; accepted -> refunded (full
refund, before settlement); accepted -> settled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.people.models import Issuer, Resident
from quarter.places.models import BusinessType, Community, Merchant, StreetOffice


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
    """A merchant's signed pledge (no fake prices, no disguised rises): it may accept vouchers."""

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


class ClaimMode(models.TextChoices):
    FIRST_COME = "first_come", _("先到先得")
    LOTTERY = "lottery", _("报名摇号")


class PersonLimit(models.TextChoices):
    ROUND = "round", _("每轮每人一份")
    WEEK = "week", _("每周每人一份")


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

    def phase(self, now) -> str:
        """Return scheduled, open, closed or stopped at `now`."""
        if self.status == Round.Status.STOPPED:
            return "stopped"
        if now < self.release_at:
            return "scheduled"
        if now >= self.claim_closes_at or self.sold_out_at is not None:
            return "closed"
        return "open"


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


class StockShard(models.Model):
    """One of several counter rows holding a round's remaining packets (database engine)."""

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


class Claim(models.Model):
    """A resident's packet of one round. Unique per (round, resident) and per (round, person)."""

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
    refunded_fen = models.BigIntegerField(default=0)
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
        ]

    @property
    def subsidy_fen(self) -> int:
        """What the issuer pays the merchant for this redemption."""
        return self.face_fen - self.cofund_fen


class Settlement(models.Model):
    """A T+1 payout to one merchant for one business day's accepted redemptions."""

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

    class Meta:
        ordering = ["-business_date", "merchant_id"]
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        unique_together = [("merchant", "business_date")]


class VoucherEvent(models.Model):
    """Audit trail: who did what to which campaign, round, claim or redemption, and why."""

    kind = models.CharField(max_length=40, db_index=True)
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
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消费券记录")
        verbose_name_plural = _("消费券记录")


class RateCounter(models.Model):
    """A fixed-window hit counter shared by all app servers (when Redis is absent).

    UNLOGGED on PostgreSQL (migration 0005): counting a hit never waits for the disk.
    """

    key = models.CharField(max_length=160, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)


class LotteryEntry(models.Model):
    """A resident's registration for a lottery round (one per resident and per person)."""

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
