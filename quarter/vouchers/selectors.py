"""Reads of the vouchers app: rounds, wallets, tills, review queues, dashboards."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, Count, F, Min, Q, Sum, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from quarter.core import clock, sql
from quarter.core.errors import NotFound
from quarter.ledger import selectors as ledger
from quarter.places.models import Merchant
from quarter.vouchers import presets
from quarter.vouchers.engines import get_engine
from quarter.vouchers.models import (
    Campaign,
    Claim,
    Redemption,
    Round,
    Settlement,
    Voucher,
    VoucherEvent,
)


def get_round(*, round_id: int) -> Round:
    round_ = (
        Round.objects.select_related("campaign__issuer__district")
        .filter(pk=round_id)
        .first()
    )
    if round_ is None:
        raise NotFound("round_not_found", "没有这个轮次")
    return round_


def get_round_for_claim(*, round_id: int) -> Round:
    """The round, read with plain SQL: the claim path runs this once per request."""
    table = sql.quote(Round._meta.db_table)
    rows = list(Round.objects.raw(f"SELECT * FROM {table} WHERE id = %s", [round_id]))
    if not rows:
        raise NotFound("round_not_found", "没有这个轮次")
    return rows[0]


def list_public_rounds(*, now: dt.datetime | None = None):
    """Rounds a resident may look at: upcoming and recent, soonest first."""
    now = now or clock.now()
    return (
        Round.objects.filter(claim_closes_at__gte=now - dt.timedelta(days=3))
        .exclude(status=Round.Status.STOPPED)
        .exclude(granted=True)
        .select_related("campaign")
        .prefetch_related("coupons")
        .order_by("release_at")
    )


def describe_round(round_: Round) -> str:
    return presets.describe(
        [(c.face_fen, c.threshold_fen, c.count) for c in round_.coupons.all()]
    )


def list_wallet(*, resident) -> list[Voucher]:
    return list(
        Voucher.objects.filter(resident=resident)
        .select_related("round__campaign", "business_type")
        .order_by("status", "valid_until", "-face_fen")
    )


def has_claimed(*, resident, round_: Round) -> bool:
    """Whether the resident holds a packet of the round: a row, or acknowledged.

    Reads only: with Redis an acknowledged claim may not be a row yet.
    """
    if Claim.objects.filter(round=round_, resident=resident).exists():
        return True
    engine = get_engine()
    if engine.transactional:
        return False
    from quarter.vouchers.engines.redis_engine import list_acknowledged

    return bool(
        list_acknowledged(
            client=engine.client, resident_id=resident.pk, rounds=[round_]
        )
    )


@dataclass(frozen=True)
class PendingVoucher:
    """A coupon of a packet the engine acknowledged whose rows are not written yet."""

    round: Round
    face_fen: int
    threshold_fen: int
    business_type: object
    valid_from: dt.datetime
    valid_until: dt.datetime
    status: str = "pending"

    @property
    def round_id(self) -> int:
        return self.round.pk

    def get_status_display(self) -> str:
        return str(_("入账中"))


def list_pending_vouchers(*, resident, known_round_ids=()) -> list[PendingVoucher]:
    """Return the coupons of packets Redis acknowledged but the database lacks yet.

    Reads only (one pipelined Redis read and the rounds' coupons): with Redis
    the persister is the only writer of claim rows, and the wallet must not
    become a second one. `known_round_ids` are rounds whose vouchers the
    caller already read from the database. Empty with the database engine,
    whose claims are rows the moment they are acknowledged.
    """
    engine = get_engine()
    if engine.transactional:
        return []
    from quarter.vouchers.engines.redis_engine import (
        active_round_ids,
        list_acknowledged,
    )

    rounds = list(
        Round.objects.filter(pk__in=active_round_ids())
        .exclude(pk__in=list(known_round_ids))
        .select_related("campaign")
        .prefetch_related("coupons__business_type")
    )
    acked = list_acknowledged(
        client=engine.client, resident_id=resident.pk, rounds=rounds
    )
    return [
        PendingVoucher(
            round=r,
            face_fen=c.face_fen,
            threshold_fen=c.threshold_fen,
            business_type=c.business_type,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
        )
        for r in rounds
        if r.pk in acked
        for c in r.coupons.all()
        for _n in range(c.count)
    ]


def list_merchants_for_staff(*, user):
    return Merchant.objects.filter(staff__user=user).order_by("pk")


def list_recent_redemptions(*, merchant: Merchant, limit: int = 20):
    return (
        Redemption.objects.filter(merchant=merchant)
        .select_related("voucher")
        .order_by("-created_at")[:limit]
    )


def list_locked_pay_codes(*, actor, days: int = 7):
    """Return the recent pay-code locks of residents of the actor's communities."""
    from quarter.vouchers.models import VoucherEvent, VoucherEventKind

    qs = VoucherEvent.objects.filter(
        kind=VoucherEventKind.WALLET_CODE_LOCKED,
        created_at__gte=clock.now() - dt.timedelta(days=days),
    )
    if not actor.is_superuser:
        qs = qs.filter(resident__household__compound__community__operators__user=actor)
    return qs.select_related("resident").order_by("-created_at")[:50]


def list_settlements(*, merchant: Merchant | None = None, merchant_ids=None):
    qs = Settlement.objects.select_related("merchant")
    if merchant is not None:
        qs = qs.filter(merchant=merchant)
    if merchant_ids is not None:
        qs = qs.filter(merchant_id__in=list(merchant_ids))
    return qs.order_by("-business_date", "merchant_id")


def get_settlement(*, settlement_id: int) -> Settlement:
    return get_object_or_404(
        Settlement.objects.select_related("merchant"), pk=settlement_id
    )


def list_campaigns(*, issuer_user):
    return (
        Campaign.objects.filter(issuer__user=issuer_user)
        .prefetch_related("rounds__coupons")
        .order_by("-created_at")
    )


def list_round_events(*, round_: Round):
    return (
        VoucherEvent.objects.filter(round=round_)
        .select_related("actor")
        .order_by("-created_at")
    )


def campaign_balances(*, campaign: Campaign) -> dict[str, int]:
    """Where the campaign's money is now, by ledger role (sums to the budget)."""
    return ledger.get_bucket_balances(bucket=campaign.bucket)


# --- dashboard -----------------------------------------------------------------

# The issuer's subsidy: face value less the merchants' co-funded share and
# less what partial refunds took back (`Redemption.subsidy_fen`, in SQL).
# Leverage is consumption driven per yuan of it (seed 002: 12.46亿 ÷ 9,410万).
_COFUND_CUT = Case(
    When(
        payable_fen__gt=0,
        then=F("cofund_fen") * F("refunded_fen") / F("payable_fen"),
    ),
    default=Value(0),
)
SUBSIDY = Sum(F("face_fen") - F("refund_cut_fen") - (F("cofund_fen") - _COFUND_CUT))


def round_stats(*, round_: Round, now: dt.datetime | None = None) -> dict:
    """Sell-out, claim curve (per second), redemptions, subsidy, leverage."""
    now = now or clock.now()
    claims = Claim.objects.filter(round=round_)
    total_claims = claims.count()
    first_last = claims.aggregate(first=Min("claimed_at"))
    sellout_s = None
    if round_.sold_out_at:
        sellout_s = round((round_.sold_out_at - round_.release_at).total_seconds(), 1)
    curve = _claim_curve(round_)
    vouchers = Voucher.objects.filter(round=round_)
    voucher_total = vouchers.count()
    red = Redemption.objects.filter(voucher__round=round_).exclude(
        status__in=[Redemption.Status.REFUNDED, Redemption.Status.REJECTED]
    )
    agg = red.aggregate(
        subsidy=SUBSIDY, cofund=Sum("cofund_fen"), driven=Sum("bill_fen"), n=Count("id")
    )
    subsidy, driven = int(agg["subsidy"] or 0), int(agg["driven"] or 0)
    return {
        "round": round_,
        "packets": round_.packets_total,
        "claims": total_claims,
        "first_claim": first_last["first"],
        "sellout_seconds": sellout_s,
        "curve": curve,
        "vouchers": voucher_total,
        "redeemed": agg["n"] or 0,
        "redemption_rate": (agg["n"] or 0) / voucher_total if voucher_total else 0.0,
        "subsidy_fen": subsidy,
        "cofund_fen": int(agg["cofund"] or 0),
        "driven_fen": driven,
        "leverage": driven / subsidy if subsidy else None,
    }


def _claim_curve(round_: Round, buckets: int = 30) -> list[list[float]]:
    """Return [[seconds after release, claims so far], ...] in up to `buckets` steps."""
    times = list(
        Claim.objects.filter(round=round_)
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
    )
    if not times:
        return []
    span = max((times[-1] - round_.release_at).total_seconds(), 1.0)
    step = span / buckets
    curve, i = [], 0
    for b in range(1, buckets + 1):
        edge = b * step
        while i < len(times) and (times[i] - round_.release_at).total_seconds() <= edge:
            i += 1
        curve.append([round(edge, 1), i])
    return curve


def leverage_breakdown(*, campaigns) -> dict[str, list[dict]]:
    """Subsidy, consumption driven and leverage by round, business type and district."""
    red = Redemption.objects.filter(
        voucher__round__campaign__in=list(campaigns)
    ).exclude(status__in=[Redemption.Status.REFUNDED, Redemption.Status.REJECTED])
    out: dict[str, list[dict]] = {}
    for name, field in (
        ("round", "voucher__round__name"),
        ("type", "merchant__main_type__name_zh"),
        ("district", "merchant__community__street_office__district__name"),
    ):
        rows = (
            red.values(field)
            .annotate(
                subsidy=SUBSIDY,
                cofund=Sum("cofund_fen"),
                driven=Sum("bill_fen"),
                n=Count("id"),
            )
            .order_by(field)
        )
        out[name] = [
            {
                "label": r[field] or "—",
                "subsidy_fen": int(r["subsidy"] or 0),
                "cofund_fen": int(r["cofund"] or 0),
                "driven_fen": int(r["driven"] or 0),
                "count": r["n"],
                "leverage": round(r["driven"] / r["subsidy"], 2)
                if r["subsidy"]
                else None,
            }
            for r in rows
        ]
    return out


def live_counters(*, round_: Round) -> dict:
    from quarter.vouchers.engines import get_engine

    try:
        remaining = get_engine().remaining(round_)
    except Exception:  # noqa: BLE001 - the dashboard shows the database count instead
        remaining = None
    claimed = Claim.objects.filter(round=round_).count()
    return {
        "round_id": round_.pk,
        "claimed": claimed,
        "remaining": remaining,
        "packets": round_.packets_total,
        "sold_out_at": round_.sold_out_at.isoformat() if round_.sold_out_at else None,
    }


def flags_summary(*, campaigns) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for flags in (
        Redemption.objects.filter(voucher__round__campaign__in=list(campaigns))
        .exclude(flags=[])
        .values_list("flags", flat=True)
    ):
        for f in flags:
            counts[f["code"]] += 1
    return dict(counts)


def merchants_accepting(*, voucher: Voucher):
    """Shops where a voucher can be used (pledged, type, area) for the wallet map."""
    campaign = voucher.round.campaign
    qs = Merchant.objects.filter(
        voucher_pledges__campaign=campaign, admission="approved"
    )
    types = list(campaign.business_types.values_list("pk", flat=True))
    if voucher.business_type_id:
        qs = qs.filter(main_type_id=voucher.business_type_id)
    elif types:
        qs = qs.filter(main_type_id__in=types)
    area = campaign.area_community_ids()
    if area is not None:
        qs = qs.filter(community_id__in=area)
    return qs.filter(
        Q(community__street_office__district_id=campaign.issuer.district_id)
    ).select_related("main_type")
