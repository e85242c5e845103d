"""Signal receivers: visits, refunds and searches update the feed's counters.

Receivers only call services; visit receivers run inside the payment's
transaction. A search names its searcher only by a keyed pseudonym, so the
receiver finds the resident the same way (`core.identity.pseudonym`).
"""

from __future__ import annotations

from quarter.feed import counters, services


def on_visit_recorded(sender, visit, **kwargs) -> None:
    counters.count_visit(visit)


def on_visit_refunded(sender, visit, refunded_fen, **kwargs) -> None:
    counters.count_refund(visit, refunded_fen)


def on_search_logged(sender, instance, created, **kwargs) -> None:
    if created and instance.visitor:
        services.note_search(instance)
