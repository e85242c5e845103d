"""Fixtures of the voucher tests: a world,
and each claim engine behind one interface."""

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


def _durable_redis_engine(url: str):
    from quarter.vouchers.engines.redis_engine import RedisEngine, new_client

    client = new_client(url)
    # The engine refuses to run without fsync-before-reply; the test server is
    # ours (on a cluster, CONFIG SET reaches every primary).
    for name, value in (("appendonly", "yes"), ("appendfsync", "always")):
        if hasattr(client, "get_primaries"):
            client.config_set(name, value, target_nodes=client.PRIMARIES)
        else:
            client.config_set(name, value)
    engine = RedisEngine(url, client=client)
    engine.check_durability()
    return engine


@pytest.fixture
def redis_engine(redis_url):
    engine = _durable_redis_engine(redis_url)
    use_engine(engine)
    yield engine
    use_engine(None)


@pytest.fixture
def redis_cluster_engine(redis_cluster_url):
    """The Redis engine on a real 3-master Cluster (campaign keys on one shard)."""
    engine = _durable_redis_engine(redis_cluster_url)
    use_engine(engine)
    yield engine
    use_engine(None)
    engine.client.close()


@pytest.fixture(params=["db", "redis", "redis_cluster"])
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
