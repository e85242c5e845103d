"""Fixtures of the card tests: the vouchers' world and claim engine, ledger checked."""

from __future__ import annotations

import pytest

from quarter.ledger import selectors as ledger
from quarter.vouchers.engines import use_engine
from quarter.vouchers.tests.factories import World


@pytest.fixture
def world(db, _ledger_balances):
    return World()


@pytest.fixture
def db_engine():
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    use_engine(DatabaseEngine())
    yield
    use_engine(None)


@pytest.fixture
def _ledger_balances(db):
    """After every test with a world the ledger sums to zero, nothing unbalanced."""
    yield
    assert ledger.get_total() == 0
    assert ledger.list_unbalanced_transactions() == []
