"""Search log retention: detail for QUARTER_SEARCH_LOG_DAYS, then daily counts.

A search (query, compound, result count, who) is kept in `SearchLog` for the
configured number of days; planning reads zero-result searches from it. After
that, `aggregate_search_logs` folds each old row into `SearchDailyCount`
(per Shanghai day, compound and query) and deletes it in the same transaction,
so the job is idempotent: a row is counted exactly once however often it runs.
Two machines may run it at once: each claims its batch with
`SELECT ... FOR UPDATE SKIP LOCKED` (SQLite serialises writers instead), and
counters grow with `F()` updates, never read-modify-write.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from quarter.core import clock
from quarter.places.models import SearchDailyCount, SearchLog


def aggregate_search_logs(*, keep_days: int | None = None, batch: int = 1000) -> int:
    """Fold searches older than `keep_days` into daily counts; return rows folded.

    Side effects: deletes the folded SearchLog rows; creates or increments
    SearchDailyCount rows. Each batch is one transaction.
    """
    keep_days = settings.QUARTER_SEARCH_LOG_DAYS if keep_days is None else keep_days
    cutoff = clock.now() - dt.timedelta(days=keep_days)
    folded = 0
    while n := _fold_batch(cutoff=cutoff, batch=batch):
        folded += n
    return folded


def _fold_batch(*, cutoff: dt.datetime, batch: int) -> int:
    with transaction.atomic():
        rows = list(
            SearchLog.objects.select_for_update(skip_locked=True)
            .filter(created_at__lt=cutoff)
            .order_by("id")
            .values("id", "created_at", "compound_id", "query", "result_count")[:batch]
        )
        if not rows:
            return 0
        searches: Counter = Counter()
        zeros: Counter = Counter()
        for row in rows:
            key = (
                row["created_at"].astimezone(clock.SHANGHAI).date(),
                row["compound_id"],
                row["query"],
            )
            searches[key] += 1
            zeros[key] += row["result_count"] == 0
        for key, count in searches.items():
            _add(key, searches=count, zero_results=zeros[key])
        SearchLog.objects.filter(id__in=[r["id"] for r in rows]).delete()
    return len(rows)


def _add(key, *, searches: int, zero_results: int) -> None:
    day, compound_id, query = key
    match = SearchDailyCount.objects.filter(
        day=day, compound_id=compound_id, query=query
    )
    for _attempt in range(3):
        # Rows without a compound are not unique on every database: two
        # machines may each have created one, so add to exactly one of them.
        pk = match.order_by("pk").values_list("pk", flat=True).first()
        if pk is not None:
            SearchDailyCount.objects.filter(pk=pk).update(
                searches=F("searches") + searches,
                zero_results=F("zero_results") + zero_results,
            )
            return
        try:
            with transaction.atomic():
                SearchDailyCount.objects.create(
                    day=day,
                    compound_id=compound_id,
                    query=query,
                    searches=searches,
                    zero_results=zero_results,
                )
            return
        except IntegrityError:
            continue  # another machine created it meanwhile: add to that one
    raise RuntimeError(f"could not count searches for {key}")
