"""Waiting out in-memory SQLite's table locks in concurrency tests.

The SQLite test database is in memory with a shared cache, which answers
"database table is locked" at once where a file database (busy_timeout) or
PostgreSQL waits. Tests that race two threads retry until a deadline by the
clock: a count of tries runs out early on a busy machine, and the test then
fails for the wrong reason (it did in CI).
"""

from __future__ import annotations

import time

from django.db.utils import OperationalError


def retry_while_locked(fn, *, patience_s: float = 30.0, pause_s: float = 0.005):
    """Call `fn` until SQLite's table lock lets it in; re-raise past the deadline."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause_s)
