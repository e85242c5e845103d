"""Tests of the ledger writer: balance, idempotency, append-only, guards."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quarter.core.errors import DomainError
from quarter.ledger import selectors
from quarter.ledger.models import AppendOnlyError, Line, Transaction
from quarter.ledger.services import AccountSpec, post_transaction, reverse_transaction

WORLD = AccountSpec(code="outside:test", is_outside=True)


@pytest.mark.django_db
def test_post_transaction_balanced_moves_money():
    post_transaction(lines=[(WORLD, -500), ("pot:a", 500)], key="k1", kind="fund")
    post_transaction(lines=[("pot:a", -200), ("pot:b", 200)], key="k2", kind="move")
    assert selectors.get_balance(code="pot:a") == 300
    assert selectors.get_balance(code="pot:b") == 200
    assert selectors.get_total() == 0


@pytest.mark.django_db
def test_post_transaction_unbalanced_refused_and_writes_nothing():
    with pytest.raises(DomainError) as exc:
        post_transaction(lines=[(WORLD, -500), ("pot:a", 400)], key="k1", kind="fund")
    assert exc.value.code == "ledger_unbalanced"
    assert Transaction.objects.count() == 0 and Line.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [1.5, "100", True])
def test_post_transaction_non_integer_amount_refused(amount):
    with pytest.raises(DomainError) as exc:
        post_transaction(lines=[(WORLD, amount), ("pot:a", amount)], key="k", kind="x")
    assert exc.value.code == "ledger_amount_not_integer_fen"


@pytest.mark.django_db
def test_post_transaction_same_key_returns_first_and_writes_once():
    first = post_transaction(
        lines=[(WORLD, -500), ("pot:a", 500)], key="k1", kind="fund"
    )
    again = post_transaction(
        lines=[(WORLD, -500), ("pot:a", 500)], key="k1", kind="fund"
    )
    assert again.pk == first.pk
    assert selectors.get_balance(code="pot:a") == 500


@pytest.mark.django_db
def test_post_transaction_key_reused_with_other_lines_refused():
    post_transaction(lines=[(WORLD, -500), ("pot:a", 500)], key="k1", kind="fund")
    with pytest.raises(DomainError) as exc:
        post_transaction(lines=[(WORLD, -600), ("pot:a", 600)], key="k1", kind="fund")
    assert exc.value.code == "ledger_key_reused_with_other_lines"


@pytest.mark.django_db
def test_post_transaction_overdraft_of_guarded_account_refused():
    post_transaction(lines=[(WORLD, -100), ("pot:a", 100)], key="k1", kind="fund")
    with pytest.raises(DomainError) as exc:
        post_transaction(lines=[("pot:a", -101), ("pot:b", 101)], key="k2", kind="move")
    assert exc.value.code == "ledger_insufficient_funds"
    assert selectors.get_balance(code="pot:a") == 100
    assert not Transaction.objects.filter(key="k2").exists()


@pytest.mark.django_db
def test_ledger_rows_are_append_only():
    txn = post_transaction(lines=[(WORLD, -100), ("pot:a", 100)], key="k1", kind="fund")
    with pytest.raises(AppendOnlyError):
        txn.save()
    with pytest.raises(AppendOnlyError):
        txn.lines.first().delete()


@pytest.mark.django_db
def test_reverse_transaction_restores_balances():
    txn = post_transaction(lines=[(WORLD, -100), ("pot:a", 100)], key="k1", kind="fund")
    fix = reverse_transaction(original=txn, key="k1:fix")
    assert fix.kind == "correction" and fix.reverses_id == txn.pk
    assert selectors.get_balance(code="pot:a") == 0
    assert selectors.get_total() == 0


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 10_000)),
        max_size=30,
    )
)
def test_random_transfers_keep_sum_zero_and_no_guarded_overdraft(moves):
    base = Transaction.objects.count()
    pots = [f"pot:{i}" for i in range(4)]
    post_transaction(
        lines=[(WORLD, -50_000), (pots[0], 50_000)], key=f"fund:{base}", kind="fund"
    )
    expected = {p: 0 for p in pots}
    expected[pots[0]] = 50_000 + selectors.get_balance(code=pots[0]) - 50_000
    for p in pots[1:]:
        expected[p] = selectors.get_balance(code=p)
    for i, (src, dst, amount) in enumerate(moves):
        if src == dst:
            continue
        try:
            post_transaction(
                lines=[(pots[src], -amount), (pots[dst], amount)],
                key=f"m:{base}:{i}",
                kind="move",
            )
        except DomainError as exc:
            assert exc.code == "ledger_insufficient_funds"
            assert expected[pots[src]] < amount
            continue
        expected[pots[src]] -= amount
        expected[pots[dst]] += amount
    for p in pots:
        assert selectors.get_balance(code=p) == expected[p] >= 0
    assert selectors.get_total() == 0
    assert selectors.list_unbalanced_transactions() == []
