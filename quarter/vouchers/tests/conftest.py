"""Fixtures of the voucher tests: a world, and each claim engine behind one interface."""

from __future__ import annotations

import pytest

from quarter.ledger import selectors as ledger
from quarter.vouchers.engines import use_engine
from quarter.vouchers.tests.factories import World


@pytest.fixture(autouse=True)
def settings_fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def db_engine():
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    engine = DatabaseEngine()
    use_engine(engine)
    yield engine
    use_engine(None)


@pytest.fixture
def redis_engine(redis_url):
    import redis

    from quarter.vouchers.engines.redis_engine import RedisEngine

    client = redis.Redis.from_url(redis_url)
    # The engine refuses to run without fsync-before-reply; the test server is ours.
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "always")
    engine = RedisEngine(redis_url, client=client)
    engine.check_durability()
    use_engine(engine)
    yield engine
    use_engine(None)


@pytest.fixture(params=["db", "redis"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture(autouse=True)
def _ledger_balances(request):
    """After every test, the ledger must sum to zero with no unbalanced entry.

    Requesting the database here makes it torn down after this check runs.
    """
    if "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
    yield
    assert ledger.get_total() == 0
    assert ledger.list_unbalanced_transactions() == []
