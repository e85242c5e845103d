"""Reads of the ledger: balances are derived from the lines, never stored."""

from __future__ import annotations

from django.db.models import Sum

from quarter.ledger.models import Account, Line


def get_balance(*, code: str) -> int:
    """Return the balance in fen of the account `code` (0 if it does not exist)."""
    total = Line.objects.filter(account__code=code).aggregate(s=Sum("amount_fen"))["s"]
    return int(total or 0)


def get_total() -> int:
    """Return the sum over all lines; double entry keeps it at exactly zero."""
    return int(Line.objects.aggregate(s=Sum("amount_fen"))["s"] or 0)


def list_unbalanced_transactions() -> list[int]:
    """Return ids of transactions whose lines do not sum to zero (should be none)."""
    rows = (
        Line.objects.values("transaction_id").annotate(s=Sum("amount_fen")).exclude(s=0)
    )
    return [r["transaction_id"] for r in rows]


def get_bucket_balances(*, bucket: str) -> dict[str, int]:
    """Return {role: balance} summed over the accounts of one bucket."""
    rows = (
        Line.objects.filter(account__bucket=bucket)
        .values("account__role")
        .annotate(s=Sum("amount_fen"))
    )
    return {r["account__role"]: int(r["s"] or 0) for r in rows}


def get_balances_by(*, bucket: str, role: str, group: str = "party") -> dict[str, int]:
    """Return {party: balance} for one role of a bucket
    (e.g. receivable per merchant)."""
    rows = (
        Line.objects.filter(account__bucket=bucket, account__role=role)
        .values(f"account__{group}")
        .annotate(s=Sum("amount_fen"))
    )
    return {r[f"account__{group}"]: int(r["s"] or 0) for r in rows}


def list_accounts(*, bucket: str | None = None):
    qs = Account.objects.all()
    if bucket:
        qs = qs.filter(bucket=bucket)
    return qs.order_by("code")
