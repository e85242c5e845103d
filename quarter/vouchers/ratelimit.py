"""Fixed-window rate limits kept in Redis (when configured) or the database.

Never in process memory: every app server must see the same count. With Redis
the count is an atomic INCR; in the database an atomic UPDATE count+1.
"""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.db import connection

from quarter.core import clock, sql
from quarter.core.errors import DomainError
from quarter.vouchers.errors import VoucherErrorCode as Code


def limits() -> dict[str, tuple[int, int]]:
    """Return {scope: (max hits, window seconds)}; env vars override for benches."""
    return {
        "account": (int(os.environ.get("QUARTER_CLAIM_ACCOUNT_LIMIT", "5")), 10),
        "ip": (int(os.environ.get("QUARTER_CLAIM_IP_LIMIT", "300")), 10),
        "till": (int(os.environ.get("QUARTER_TILL_LIMIT", "60")), 60),
        # Pay codes at the till (services.redemptions): quotes of one code,
        # wrong codes per till, and wrong codes naming one resident (which
        # lock that resident's code for the rest of the window).
        "code": (10, 60),
        "till_fail": (int(os.environ.get("QUARTER_TILL_FAIL_LIMIT", "20")), 600),
        "code_fail": (5, 900),
    }


def hit(scope: str, ident: str, *, redis_client=None) -> None:
    """Count one hit of `ident` in `scope`; raise `rate_limited` over the limit."""
    hit_all([(scope, ident)], redis_client=redis_client)


def hit_all(pairs, *, redis_client=None) -> None:
    """Count one hit for each (scope, ident) in one round trip or one transaction."""
    counts = count_all(pairs, redis_client=redis_client)
    over = zip(pairs, counts, strict=False)
    if any(count > limits()[scope][0] for (scope, _i), count in over):
        raise DomainError(Code.RATE_LIMITED, "操作太频繁,请稍后再试", status_code=429)


def count_all(pairs, *, peek=(), redis_client=None) -> list[int]:
    """Add one to each (scope, ident) of `pairs`, read those of `peek`; return counts.

    One round trip (Redis pipeline) or one statement (database), in the order
    `pairs` then `peek`. Refuses nothing: the caller compares with `limits()`.
    """
    # The project clock, as the Redis claim script's buckets use: one time
    # source for every window (and tests that pin the clock pin the windows).
    now = int(clock.now().timestamp())
    keyed = []
    for (scope, ident), step in [(p, 1) for p in pairs] + [(p, 0) for p in peek]:
        window = limits()[scope][1]
        keyed.append((f"rl:{scope}:{ident}:{now // window}", window, step))
    if not keyed:
        return []
    if redis_client is not None:
        pipe = redis_client.pipeline()
        for key, window, step in keyed:
            pipe.incrby(key, step)
            pipe.expire(key, window + 1)
        return [int(c) for c in pipe.execute()[::2]]
    return _db_incr(keyed)


def limit_of(scope: str) -> int:
    return limits()[scope][0]


def redis_or_none():
    if not settings.REDIS_URL:
        return None
    from quarter.vouchers.engines.redis_engine import client_for

    return client_for(settings.REDIS_URL)


def _db_incr(counters: list[tuple[str, int, int]]) -> list[int]:
    """Add `step` to each (key, window, step) counter; return the new counts, in order.

    One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement (PostgreSQL,
    SQLite ≥ 3.35): atomic, and cannot lose a concurrent increment.
    """
    from quarter.vouchers.models import RateCounter

    table = sql.quote(RateCounter._meta.db_table)
    now = clock.now()
    params = []
    for key, window, step in counters:
        expires = now + dt.timedelta(seconds=window + 1)
        params += [key, step, connection.ops.adapt_datetimefield_value(expires)]
    rows = ", ".join(["(%s, %s, %s)"] * len(counters))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES {rows} "
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + excluded.count "
            "RETURNING key, count",
            params,
        )
        counts = dict(cursor.fetchall())
    return [int(counts[key]) for key, _window, _step in counters]


def purge_expired() -> int:
    """Delete counters whose window has passed; safe to run anywhere, any time."""
    from quarter.vouchers.models import RateCounter

    return RateCounter.objects.filter(expires_at__lt=clock.now()).delete()[0]
