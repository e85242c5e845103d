"""The ledger accounts of a campaign and the postings of each voucher movement.

Every campaign is one pot (ledger bucket ``campaign:<id>``). Its money sits in
exactly one of these roles at any time, so for every campaign

    budget = unallocated + unclaimed + claimed + receivable + settled + expired

where the budget came in once from the issuer's outside treasury account:

    fund        treasury            -> campaign unallocated      (campaign created)
    allocate    unallocated         -> round unclaimed           (round created/changed)
    release     round unclaimed     -> unallocated               (round stopped/shrunk)
    claim       round unclaimed     -> round claimed             (packet claimed)
    redeem      round claimed       -> merchant receivable       (voucher used
                                                                  at the till)
    refund      merchant receivable -> round claimed             (full refund;
                (and round refund cut)                            cuts come back)
    expire      round claimed       -> round expired             (use window over)
    reject      merchant receivable -> round rejected (expired)  (fraud rejected
                                                                  on review)
    refund_cut  merchant receivable -> round refund cut (expired) (partial refund:
                                                   the face value given back)
    settle      merchant receivable -> merchant settled          (T+1 payout,
                                                                  issuer share)
    cofund      merchant receivable -> unallocated               (T+1, merchant's
                                                                  co-funded share)

With merchant co-funding (`Campaign.cofund_permille`) a redemption still moves
the whole face value into the receivable, so a full refund before settlement
restores it unchanged; settlement pays the merchant only the issuer's share and
returns the co-funded share to the unallocated budget, where later rounds may
use it.
"""

from __future__ import annotations

from quarter.ledger.services import AccountSpec, post_transaction
from quarter.ledger.services import move as move  # re-exported: accounts.move(...)

ROLES = ("unallocated", "unclaimed", "claimed", "receivable", "settled", "expired")


def treasury(issuer_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"issuer:{issuer_id}:treasury",
        name="发券机构财政资金",
        is_outside=True,
        party=f"issuer:{issuer_id}",
    )


def unallocated(campaign_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"campaign:{campaign_id}:unallocated",
        name="活动未分配预算",
        bucket=f"campaign:{campaign_id}",
        role="unallocated",
    )


def unclaimed(campaign_id: int, round_id: int) -> AccountSpec:
    # Not guarded against overdraft: the stock counters are the guard, and an
    # unguarded account needs no row lock on the claim's hot path.
    return AccountSpec(
        code=f"round:{round_id}:unclaimed",
        name="轮次未领取",
        bucket=f"campaign:{campaign_id}",
        role="unclaimed",
        party=f"round:{round_id}",
        allow_negative=True,
    )


def claimed(campaign_id: int, round_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"round:{round_id}:claimed",
        name="已领未用(负债)",
        bucket=f"campaign:{campaign_id}",
        role="claimed",
        party=f"round:{round_id}",
        allow_negative=True,
    )


def expired(campaign_id: int, round_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"round:{round_id}:expired",
        name="过期释放",
        bucket=f"campaign:{campaign_id}",
        role="expired",
        party=f"round:{round_id}",
    )


def rejected(campaign_id: int, round_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"round:{round_id}:rejected",
        name="风控驳回释放",
        bucket=f"campaign:{campaign_id}",
        role="expired",
        party=f"round:{round_id}",
    )


def refund_cut(campaign_id: int, round_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"round:{round_id}:refund_cut",
        name="部分退款扣减补贴",
        bucket=f"campaign:{campaign_id}",
        role="expired",
        party=f"round:{round_id}",
    )


def receivable(campaign_id: int, merchant_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"campaign:{campaign_id}:merchant:{merchant_id}:receivable",
        name="商户应收(已核销未结算)",
        bucket=f"campaign:{campaign_id}",
        role="receivable",
        party=f"merchant:{merchant_id}",
    )


def settled(campaign_id: int, merchant_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"campaign:{campaign_id}:merchant:{merchant_id}:settled",
        name="已结算给商户",
        bucket=f"campaign:{campaign_id}",
        role="settled",
        party=f"merchant:{merchant_id}",
    )


def post(lines, *, key: str, kind: str, reference: str, memo: str = ""):
    """Post several (account, amount) lines summing to zero as one transaction."""
    return post_transaction(
        lines=lines, key=key, kind=kind, reference=reference, memo=memo
    )
