"""Claim engines: one interface, two implementations (database and Redis).

`get_engine()` picks Redis when `REDIS_URL` is set (or QUARTER_CLAIM_ENGINE
says so) and the database engine otherwise. Both pass the same test suite
(tests/test_engines.py) and both guarantee: no oversell, one packet per
resident and per real person (ID hash) per round, nothing before release,
and a retry by the same resident returns the first packet.
"""

from __future__ import annotations

import os

from django.conf import settings

from quarter.vouchers.engines.base import ClaimEngine, ClaimOutcome

_override: ClaimEngine | None = None


def get_engine() -> ClaimEngine:
    if _override is not None:
        return _override
    name = os.environ.get("QUARTER_CLAIM_ENGINE", "").strip()
    if name == "redis" or (name != "db" and settings.REDIS_URL):
        from quarter.vouchers.engines.redis_engine import RedisEngine

        return RedisEngine(settings.REDIS_URL)
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    return DatabaseEngine()


def use_engine(engine: ClaimEngine | None) -> None:
    """Force an engine (tests and benches); None goes back to the settings."""
    global _override
    _override = engine


__all__ = ["ClaimEngine", "ClaimOutcome", "get_engine", "use_engine"]
