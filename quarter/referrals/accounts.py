"""The ledger accounts of sharing rewards and the posting of each movement.

All accounts sit in one ledger bucket, ``referrals``, each with a role:

    topup    merchant's outside account -> merchant budget     (operator records)
    reward   merchant budget  -> referrer pending               (referee paid)
    reverse  referrer pending -> merchant budget                (payment refunded)
    release  referrer pending -> referrer withdrawable          (window over)
    request  referrer withdrawable -> referrer requested        (withdrawal asked)
    approve  referrer requested -> referrer paid out            (operator approves)
    reject   referrer requested -> referrer withdrawable        (operator rejects)

so that, over the bucket,

    budget + pending + withdrawable + requested + paid = top-ups

and no account but the merchants' outside ones ever goes below zero (the
ledger guards them). Keys are built from the row that caused the movement,
so a retry posts nothing twice.
"""

from __future__ import annotations

from quarter.ledger.services import AccountSpec
from quarter.ledger.services import move as move  # re-exported: accounts.move(...)

BUCKET = "referrals"
ROLES = ("budget", "pending", "withdrawable", "requested", "paid")


def merchant_outside(merchant_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"referrals:merchant:{merchant_id}:outside",
        name="商户推广资金来源(外部)",
        is_outside=True,
        party=f"merchant:{merchant_id}",
    )


def budget(merchant_id: int) -> AccountSpec:
    return AccountSpec(
        code=f"referrals:merchant:{merchant_id}:budget",
        name="商户推广预算",
        bucket=BUCKET,
        role="budget",
        party=f"merchant:{merchant_id}",
    )


def _resident(resident_id: int, role: str, name: str) -> AccountSpec:
    return AccountSpec(
        code=f"referrals:resident:{resident_id}:{role}",
        name=name,
        bucket=BUCKET,
        role=role,
        party=f"resident:{resident_id}",
    )


def pending(resident_id: int) -> AccountSpec:
    return _resident(resident_id, "pending", "分享奖励待到账")


def withdrawable(resident_id: int) -> AccountSpec:
    return _resident(resident_id, "withdrawable", "分享奖励可提现")


def requested(resident_id: int) -> AccountSpec:
    return _resident(resident_id, "requested", "分享奖励提现审核中")


def paid(resident_id: int) -> AccountSpec:
    return _resident(resident_id, "paid", "分享奖励已提现")
