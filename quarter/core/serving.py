"""Production serving sizes shared by `quarter serve` and the Redis client pool.

Every granian blocking thread may hold one Redis connection, so the pool of
each worker process is sized from the same number (plus room for the
persister's and the cache's calls) and blocks for a moment rather than failing
when it is empty.
"""

from __future__ import annotations

import os

DEFAULT_THREADS = 32
POOL_TIMEOUT_S = 5


def serve_threads() -> int:
    """Return granian's blocking threads per worker (QUARTER_SERVE_THREADS, 32)."""
    return int(os.environ.get("QUARTER_SERVE_THREADS") or DEFAULT_THREADS)


def redis_pool_size() -> int:
    """Return the Redis connections a worker process may open (≥ its threads)."""
    return serve_threads() + 16


class IntentionalThreadsFilter:
    """Drop granian's start-up warning about "quite high" Python threads (see cli).

    granian warns whenever a WSGI worker may run more blocking threads than
    2 × cores + 1. Quarter's are many on purpose: a request mostly waits on
    Redis or the database with the GIL released, and the rush gate must hold
    thousands of claims in the same second (DEFAULT_THREADS above). Every other
    granian message passes.
    """

    MARK = "Python threads, which seems quite high"

    def filter(self, record) -> bool:
        return self.MARK not in record.getMessage()
