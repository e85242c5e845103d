"""Claim engines: one interface, two implementations (database and Redis).

`get_engine()` picks Redis when `REDIS_URL` is set (or QUARTER_CLAIM_ENGINE
says so) and the database engine otherwise. Both pass the same test suite
(tests/test_engines.py) and both guarantee: no oversell, one packet per
resident and per real person (ID hash) per round, nothing before release,
and a retry by the same resident returns the first packet.
"""

from __future__ import annotations

import os
from functools import lru_cache

from django.conf import settings

from quarter.vouchers.engines.base import ClaimEngine, ClaimOutcome, ClaimRequest

_override: ClaimEngine | None = None


def get_engine() -> ClaimEngine:
    if _override is not None:
        return _override
    name = os.environ.get("QUARTER_CLAIM_ENGINE", "").strip()
    if name == "redis" or (name != "db" and settings.REDIS_URL):
        return _redis_engine(settings.REDIS_URL)
    return _database_engine()


# One engine object per process: the claim path asks for it on every tap.
@lru_cache(maxsize=4)
def _redis_engine(url: str) -> ClaimEngine:
    from quarter.vouchers.engines.redis_engine import RedisEngine

    return RedisEngine(url)


@lru_cache(maxsize=1)
def _database_engine() -> ClaimEngine:
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    return DatabaseEngine()


def use_engine(engine: ClaimEngine | None) -> None:
    """Force an engine (tests and benches); None goes back to the settings."""
    global _override
    _override = engine


__all__ = ["ClaimEngine", "ClaimOutcome", "ClaimRequest", "get_engine", "use_engine"]
