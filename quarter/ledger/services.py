"""The one writer of the ledger: `post_transaction`.

A transaction is a list of ``(account_code, amount_fen)`` lines summing to
zero; positive debits an account, negative credits it. The `key` makes a post
idempotent: posting the same key again returns the first transaction and
writes nothing (a different set of lines under a used key is refused).
Accounts that may not go negative are locked in primary-key order (one order
for every writer, so two posts cannot deadlock) and checked after the post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Sum

from quarter.core import clock, sql
from quarter.core.errors import DomainError
from quarter.ledger.errors import LedgerErrorCode as Code
from quarter.ledger.models import Account, Line, Transaction


@dataclass(frozen=True)
class AccountSpec:
    """How to create an account the first time a line names it."""

    code: str
    name: str = ""
    bucket: str = ""
    role: str = ""
    party: str = ""
    is_outside: bool = False
    allow_negative: bool = False


LineSpec = tuple["str | AccountSpec", int]


class OpenAccount(NamedTuple):
    pk: int
    code: str
    allow_negative: bool


def open_accounts(specs: Iterable[AccountSpec]) -> dict[str, OpenAccount]:
    """Return {code: account} for the specs, creating the missing ones (one read)."""
    specs = {spec.code: spec for spec in specs}
    table = sql.quote(Account._meta.db_table)
    found = {
        code: OpenAccount(pk, code, bool(allow_negative))
        for pk, code, allow_negative in sql.select_rows(
            f"SELECT id, code, allow_negative FROM {table} "
            f"WHERE code IN ({sql.placeholders(len(specs))})",
            list(specs),
        )
    }
    for code, spec in specs.items():
        if code in found:
            continue
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    code=spec.code,
                    name=spec.name,
                    bucket=spec.bucket,
                    role=spec.role,
                    party=spec.party,
                    is_outside=spec.is_outside,
                    allow_negative=spec.allow_negative or spec.is_outside,
                    created_at=clock.now(),
                )
        except IntegrityError:
            account = Account.objects.get(code=spec.code)
        found[code] = OpenAccount(account.pk, account.code, account.allow_negative)
    return found


def post_transaction(
    *,
    lines: Iterable[LineSpec],
    key: str,
    kind: str,
    reference: str = "",
    memo: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction and return it (or the earlier one with `key`).

    Raises `ledger_transaction_empty`, `ledger_amount_not_integer_fen`,
    `ledger_unbalanced`, `ledger_insufficient_funds`,
    `ledger_key_reused_with_other_lines`. Atomic: it joins the caller's
    transaction, with a savepoint only when a guarded account could refuse it.
    Between unguarded accounts (the claim's hot path) it is three plain
    statements: read the accounts, insert the transaction unless its key is
    taken, insert the lines.
    """
    specs = [
        (s if isinstance(s, AccountSpec) else AccountSpec(code=s), a) for s, a in lines
    ]
    _check_lines(specs)
    accounts = open_accounts(spec for spec, _ in specs)
    guarded = sorted(a.pk for a in accounts.values() if not a.allow_negative)
    # Nothing after the first write can refuse an unguarded post, so it needs
    # no savepoint of its own; a guarded one may roll back its own lines.
    with transaction.atomic(savepoint=bool(guarded)):
        if guarded:
            # Lock in primary-key order so concurrent posts queue, never deadlock.
            list(
                Account.objects.select_for_update()
                .filter(pk__in=guarded)
                .order_by("pk")
            )
        txn = Transaction(
            key=key,
            kind=kind,
            reference=reference[:120],
            memo=memo[:300],
            reverses=reverses,
            created_at=clock.now(),
        )
        inserted = sql.insert_rows(
            Transaction,
            ["key", "kind", "reference", "memo", "reverses_id", "created_at"],
            [
                (
                    txn.key,
                    txn.kind,
                    txn.reference,
                    txn.memo,
                    txn.reverses_id,
                    txn.created_at,
                )
            ],
            returning=["id"],
            skip_conflicts=True,  # the key is taken: a retry, or a reuse
        )
        if not inserted:
            return _same_or_refuse(Transaction.objects.get(key=key), specs)
        txn.pk = inserted[0][0]
        txn._state.adding = False
        sql.insert_rows(
            Line,
            ["transaction_id", "account_id", "amount_fen"],
            [
                (txn.pk, accounts[code].pk, amount)
                for code, amount in _merged(specs).items()
                if amount
            ],
        )
        for pk in guarded:
            if balance_of(pk) < 0:
                code = next(a.code for a in accounts.values() if a.pk == pk)
                raise DomainError(
                    Code.INSUFFICIENT_FUNDS,
                    f"账户 {code} 余额不足",
                    params={"account": code},
                )
    return txn


def move(
    src: AccountSpec,
    dst: AccountSpec,
    amount_fen: int,
    *,
    key: str,
    kind: str,
    reference: str,
    memo: str = "",
) -> Transaction:
    """Post `amount_fen` from `src` to `dst` as one balanced transaction."""
    return post_transaction(
        lines=[(src, -amount_fen), (dst, amount_fen)],
        key=key,
        kind=kind,
        reference=reference,
        memo=memo,
    )


def reverse_transaction(
    *, original: Transaction, key: str, memo: str = ""
) -> Transaction:
    """Post the exact opposite of `original` as a correction (coded `correction`)."""
    lines = [
        (line.account.code, -line.amount_fen)
        for line in original.lines.select_related("account")
    ]
    return post_transaction(
        lines=lines,
        key=key,
        kind="correction",
        reference=original.key,
        memo=memo or f"冲正 {original.key}",
        reverses=original,
    )


def balance_of(account_id: int) -> int:
    total = Line.objects.filter(account_id=account_id).aggregate(s=Sum("amount_fen"))[
        "s"
    ]
    return int(total or 0)


def _check_lines(specs) -> None:
    if not specs:
        raise DomainError(Code.EMPTY, "记账凭证没有分录")
    for _, amount in specs:
        if type(amount) is not int:  # noqa: E721 - bool and float are refused too
            raise DomainError(Code.BAD_AMOUNT, "金额必须是整数分")
    if sum(a for _, a in specs) != 0:
        raise DomainError(Code.UNBALANCED, "借贷不平衡:分录合计必须为零")
    if not any(_merged(specs).values()):
        raise DomainError(Code.EMPTY, "记账凭证没有非零分录")


def _merged(specs) -> dict[str, int]:
    merged: dict[str, int] = defaultdict(int)
    for spec, amount in specs:
        merged[spec.code] += amount
    return merged


def _same_or_refuse(existing: Transaction, specs) -> Transaction:
    posted = {
        code: amount
        for code, amount in existing.lines.values_list("account__code", "amount_fen")
    }
    wanted = {code: amount for code, amount in _merged(specs).items() if amount}
    if posted != wanted:
        raise DomainError(
            Code.KEY_REUSED,
            "同一幂等键已用于不同的记账内容",
            params={"key": existing.key},
        )
    return existing
