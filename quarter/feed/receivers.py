"""Signal receivers: visits, refunds and searches update the feed's counters.

Receivers only call services. Visit and refund counters are written after
the payment commits (`transaction.on_commit`), each in its own transaction:
the till holds its locks for the payment alone, and a rolled-back payment
counts nothing. Counters are derived data: `manage.py feed_train --rebuild`
recounts them from the visit log. A search names its searcher only by a keyed
pseudonym, so the receiver finds the resident the same way
(`core.identity.pseudonym`).
"""

from __future__ import annotations

from django.db import transaction

from quarter.feed import counters, services


def on_visit_recorded(sender, visit, **kwargs) -> None:
    transaction.on_commit(lambda: _atomically(counters.count_visit, visit))


def on_visit_refunded(sender, visit, refunded_fen, **kwargs) -> None:
    transaction.on_commit(
        lambda: _atomically(counters.count_refund, visit, refunded_fen)
    )


def _atomically(count, *args) -> None:
    with transaction.atomic():
        count(*args)


def on_search_logged(sender, instance, created, **kwargs) -> None:
    if created and instance.visitor:
        services.note_search(instance)
