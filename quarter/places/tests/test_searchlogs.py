"""Search logs: detail kept QUARTER_SEARCH_LOG_DAYS, then folded into daily counts."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from quarter.core import clock
from quarter.core.tests.locking import retry_while_locked
from quarter.places.models import SearchDailyCount, SearchLog
from quarter.places.tests.factories import make_community, make_compound

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=clock.SHANGHAI)


def _log(query, *, days_ago, compound=None, results=0, hour=10):
    SearchLog.objects.create(
        query=query,
        compound=compound,
        result_count=results,
        created_at=(NOW - dt.timedelta(days=days_ago)).replace(hour=hour),
    )


@pytest.mark.django_db
def test_old_searches_become_daily_counts_and_recent_ones_stay(settings):
    settings.QUARTER_SEARCH_LOG_DAYS = 30
    clock.freeze(NOW)
    compound = make_compound(make_community())
    for _ in range(3):
        _log("修手表", days_ago=40, compound=compound)
    _log("修手表", days_ago=40, compound=compound, results=2)
    _log("修手表", days_ago=41, compound=compound)
    _log("理发", days_ago=40)
    _log("理发", days_ago=40, hour=23)  # 23:00 Shanghai is still that day
    _log("配钥匙", days_ago=5, compound=compound)

    out = io.StringIO()
    call_command("aggregate_search_logs", stdout=out)

    assert "已汇总并删除 7 条搜索明细" in out.getvalue()
    assert list(SearchLog.objects.values_list("query", flat=True)) == ["配钥匙"]
    counts = {
        (c.day.isoformat(), c.compound_id, c.query): (c.searches, c.zero_results)
        for c in SearchDailyCount.objects.all()
    }
    day40 = (NOW - dt.timedelta(days=40)).date().isoformat()
    day41 = (NOW - dt.timedelta(days=41)).date().isoformat()
    assert counts == {
        (day40, compound.pk, "修手表"): (4, 3),
        (day41, compound.pk, "修手表"): (1, 1),
        (day40, None, "理发"): (2, 2),
    }


@pytest.mark.django_db
def test_aggregating_twice_counts_each_search_once(settings):
    clock.freeze(NOW)
    for _ in range(5):
        _log("修手表", days_ago=60)
    call_command("aggregate_search_logs", stdout=io.StringIO())
    call_command("aggregate_search_logs", stdout=io.StringIO())
    _log("修手表", days_ago=60)  # a late row for the same day adds to it
    call_command("aggregate_search_logs", "--days", "30", stdout=io.StringIO())
    assert SearchDailyCount.objects.aggregate(n=Sum("searches"))["n"] == 6
    assert SearchLog.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_machines_aggregating_at_once_count_each_search_once(settings):
    """Two workers fold the same backlog concurrently: totals stay exact."""
    from quarter.places.searchlogs import aggregate_search_logs

    clock.freeze(NOW)
    compound = make_compound(make_community())
    SearchLog.objects.bulk_create(
        SearchLog(
            query=f"词{i % 7}",
            compound=compound if i % 2 else None,
            result_count=i % 3,
            created_at=NOW - dt.timedelta(days=40 + i % 3),
        )
        for i in range(600)
    )
    errors = []

    def worker():
        try:
            retry_while_locked(
                lambda: aggregate_search_logs(keep_days=30, batch=25), pause_s=0.01
            )
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    totals = SearchDailyCount.objects.aggregate(
        n=Sum("searches"), z=Sum("zero_results")
    )
    assert totals == {"n": 600, "z": 200}
    assert SearchLog.objects.count() == 0
