"""Reads of the sharing rewards: what residents, merchants and operators see."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from quarter.ledger import selectors as ledger
from quarter.people.models import Resident
from quarter.places.models import Merchant
from quarter.referrals import accounts
from quarter.referrals.models import (
    Promotion,
    Referral,
    ReferralLink,
    Reward,
    TopUp,
    Withdrawal,
)
from quarter.referrals.services import mask_name


@dataclass
class ResidentSummary:
    link: ReferralLink | None
    referees: list[dict]
    pending_fen: int
    withdrawable_fen: int
    requested_fen: int
    paid_fen: int
    rewards: list[Reward] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    referred_by: str = ""

    @property
    def referee_count(self) -> int:
        return len(self.referees)


def get_resident_summary(*, resident: Resident) -> ResidentSummary:
    """Return the resident's referees (masked), balances, rewards and withdrawals."""
    referees = [
        {"name": mask_name(r.referee), "bound_at": r.bound_at}
        for r in Referral.objects.filter(referrer=resident)
        .select_related("referee")
        .order_by("-bound_at")
    ]
    balances = _resident_balances(resident.pk)
    upline = (
        Referral.objects.filter(referee=resident).select_related("referrer").first()
    )
    return ResidentSummary(
        link=ReferralLink.objects.filter(resident=resident).first(),
        referees=referees,
        pending_fen=balances.get("pending", 0),
        withdrawable_fen=balances.get("withdrawable", 0),
        requested_fen=balances.get("requested", 0),
        paid_fen=balances.get("paid", 0),
        rewards=list(
            Reward.objects.filter(referrer=resident).select_related("merchant")[:20]
        ),
        withdrawals=list(Withdrawal.objects.filter(resident=resident)[:10]),
        referred_by=mask_name(upline.referrer) if upline else "",
    )


def _resident_balances(resident_id: int) -> dict[str, int]:
    return {
        role: ledger.get_balance(code=spec(resident_id).code)
        for role, spec in (
            ("pending", accounts.pending),
            ("withdrawable", accounts.withdrawable),
            ("requested", accounts.requested),
            ("paid", accounts.paid),
        )
    }


@dataclass
class MerchantSummary:
    promotion: Promotion | None
    budget_fen: int
    rewards_fen: int
    rewards_count: int
    topped_up_fen: int
    topups: list[TopUp]


def get_merchant_summary(*, merchant: Merchant) -> MerchantSummary:
    """Return the shop's promotion, its budget left and the rewards it has funded."""
    row = Reward.objects.filter(merchant=merchant).aggregate(
        a=Sum("amount_fen"),
        r=Sum("reversed_fen"),
        n=Count("pk", filter=Q(status__in=["pending", "released"])),
    )
    topups = list(TopUp.objects.filter(merchant=merchant)[:20])
    return MerchantSummary(
        promotion=Promotion.objects.filter(merchant=merchant).first(),
        budget_fen=ledger.get_balance(code=accounts.budget(merchant.pk).code),
        rewards_fen=int(row["a"] or 0) - int(row["r"] or 0),
        rewards_count=int(row["n"] or 0),
        topped_up_fen=int(
            TopUp.objects.filter(merchant=merchant).aggregate(s=Sum("amount_fen"))["s"]
            or 0
        ),
        topups=topups,
    )


@dataclass
class OperatorSummary:
    bindings: int
    rewards_fen: int
    pending_fen: int
    released_fen: int
    budget_fen: int
    merchants: list[dict]
    top_referrers: list[dict]
    withdrawals: list[Withdrawal]
    decided: list[Withdrawal]


def get_operator_summary(*, communities) -> OperatorSummary:
    """Return totals, the shops' budgets, top referrers and withdrawals to decide.

    Rewards count at the shops of the communities; referrers and withdrawals
    are the communities' residents.
    """
    community_ids = list(communities.values_list("pk", flat=True))
    at_shops = Reward.objects.filter(merchant__community_id__in=community_ids)
    totals = at_shops.aggregate(
        a=Sum("amount_fen"),
        r=Sum("reversed_fen"),
        p=Sum("amount_fen", filter=Q(status="pending")),
        pr=Sum("reversed_fen", filter=Q(status="pending")),
        rel=Sum("amount_fen", filter=Q(status="released")),
        relr=Sum("reversed_fen", filter=Q(status="released")),
    )
    shops = list(
        Merchant.objects.filter(community_id__in=community_ids)
        .filter(Q(promotion__isnull=False) | Q(promotion_topups__isnull=False))
        .select_related("promotion")
        .distinct()
        .order_by("name")
    )
    budgets = ledger.get_balances_by(bucket=accounts.BUCKET, role="budget")
    merchants = [
        {
            "merchant": m,
            "promotion": getattr(m, "promotion", None),
            "budget_fen": budgets.get(f"merchant:{m.pk}", 0),
        }
        for m in shops
    ]
    in_community = Q(referrer__household__compound__community_id__in=community_ids)
    top = (
        Referral.objects.filter(in_community)
        .values("referrer")
        .annotate(n=Count("pk"))
        .order_by("-n", "referrer")[:10]
    )
    residents = Resident.objects.select_related("household__compound").in_bulk(
        [t["referrer"] for t in top]
    )
    earned = dict(
        Reward.objects.filter(referrer_id__in=list(residents))
        .values("referrer")
        .annotate(s=Sum("amount_fen") - Sum("reversed_fen"))
        .values_list("referrer", "s")
    )
    top_referrers = [
        {
            "name": mask_name(residents[t["referrer"]]),
            "compound": residents[t["referrer"]].household.compound.name
            if residents[t["referrer"]].household_id
            else "",
            "referees": t["n"],
            "earned_fen": int(earned.get(t["referrer"]) or 0),
        }
        for t in top
    ]
    withdrawals = Withdrawal.objects.filter(
        resident__household__compound__community_id__in=community_ids
    ).select_related("resident", "resident__household__compound", "decided_by")
    return OperatorSummary(
        bindings=Referral.objects.filter(in_community).count(),
        rewards_fen=int(totals["a"] or 0) - int(totals["r"] or 0),
        pending_fen=int(totals["p"] or 0) - int(totals["pr"] or 0),
        released_fen=int(totals["rel"] or 0) - int(totals["relr"] or 0),
        budget_fen=sum(m["budget_fen"] for m in merchants),
        merchants=merchants,
        top_referrers=top_referrers,
        withdrawals=list(
            withdrawals.filter(status="requested").order_by("requested_at")
        ),
        decided=list(withdrawals.exclude(status="requested")[:20]),
    )
