"""Helper processes answer a recompute's searches exactly as one process does,
and a helper that dies costs no answer."""

from __future__ import annotations

import functools
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from quarter.core.actors import SYSTEM
from quarter.coverage import graph, parallel, reach_store, services
from quarter.coverage.graph import NetworkReach
from quarter.coverage.models import MerchantReach
from quarter.coverage.tests import spread_tasks
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    make_merchant,
    north,
    write_street_osm,
)
from quarter.coverage.tests.test_invariants import _helsinki


@pytest.fixture
def sent(monkeypatch):
    """One helper, answering before the test starts; yields the list of
    shares this process sent it."""
    parallel.shutdown()
    helpers = parallel.start(1, wait=True)
    shares = []
    send = helpers.send

    def counting_send(member, message):
        shares.append(message)
        return send(member, message)

    monkeypatch.setattr(helpers, "send", counting_send)
    yield shares
    parallel.shutdown()


def test_a_helper_finds_the_same_walks_as_one_process_on_helsinki(sent, monkeypatch):
    rng = np.random.default_rng(5)
    lat, lng = rng.uniform(60.160, 60.180, 400), rng.uniform(24.930, 24.960, 400)
    alone = NetworkReach(_helsinki(), lat, lng)
    shared = NetworkReach(
        _helsinki(), lat, lng, spread=functools.partial(parallel.spread, helpers=1)
    )
    compounds = np.arange(250)
    types = [np.arange(250 + 15 * k, 265 + 15 * k) for k in range(10)]
    households = np.arange(250, dtype=np.float64) + 1
    radii = [400.0, 800.0, 1200.0]
    shops = np.arange(250, 400)

    mine = alone.nearest_each(compounds, types, limit=2400)
    # This extract's search graph (2,600 nodes) is searched faster than sent.
    assert len(shared.search.x) < graph._SPREAD_MIN_NODES
    np.testing.assert_array_equal(
        shared.nearest_each(compounds, types, limit=2400)[0], mine[0]
    )
    assert sent == []

    monkeypatch.setattr(graph, "_SPREAD_MIN_NODES", 0)
    theirs = shared.nearest_each(compounds, types, limit=2400)
    assert len(sent) == 1  # half of the ten types went to the helper
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(np.isfinite(a).sum() > 200 for a in mine)

    bands = alone.weight_within(shops, compounds, households, radii)
    np.testing.assert_array_equal(
        bands, shared.weight_within(shops, compounds, households, radii)
    )
    assert len(sent) == 2
    assert (bands[:, 2] > bands[:, 0]).any()


@pytest.mark.django_db
def test_a_recompute_with_a_helper_stores_what_one_process_stores(
    tmp_path, settings, monkeypatch, sent
):
    monkeypatch.setattr(graph, "_SPREAD_MIN_NODES", 0)  # share even a small graph
    monkeypatch.setattr(graph, "_BAND_CHUNK", 1)
    services.import_network(actor=SYSTEM, path=write_street_osm(tmp_path / "s.osm"))
    community = make_community(lat=LAT0, lng=east(1000))
    for i, x in enumerate((0, 500, 1100, 1900)):
        make_compound(community, lat=north(15), lng=east(x), households=100 + i)
    for i, code in enumerate(("pharmacy", "supermarket", "breakfast", "laundry") * 2):
        make_merchant(community, type_code=code, lat=north(5), lng=east(250 * i))

    def stored():
        services.refresh_community(actor=SYSTEM, community=community)
        bands = dict(
            MerchantReach.objects.filter(merchant__community=community).values_list(
                "merchant_id", "households"
            )
        )
        return reach_store.distances_of(community), bands

    settings.QUARTER_COVERAGE_HELPERS = 0
    alone = stored()
    assert sent == []
    settings.QUARTER_COVERAGE_HELPERS = 1
    assert stored() == alone
    assert len(sent) == 2  # the types' searches, then the shops' bands
    assert len(alone[1]) == 8


def test_a_killed_helper_costs_no_answer_and_is_started_again(sent, caplog):
    first = parallel.helper_pids()
    assert first and os.getpid() not in first
    tasks = list(range(8))  # the helper gets 1, 3, 5, 7 and dies on 3
    with caplog.at_level(logging.WARNING, logger="quarter.coverage.parallel"):
        answers = parallel.spread(
            spread_tasks.die_in_a_helper, os.getpid(), tasks, helpers=1
        )
    assert answers == [t * 10 for t in tasks]
    assert "helper died" in caplog.text

    # The next call answers alone while new helpers start, then shares again.
    assert parallel.spread(spread_tasks.refuse_seven, None, [1, 2, 3, 4], helpers=1)
    parallel.start(1, wait=True)
    again = parallel.helper_pids()
    assert again and not set(again) & set(first)


def test_an_error_in_a_search_is_raised_not_swallowed(sent):
    with pytest.raises(ValueError, match="seven is refused"):
        parallel.spread(spread_tasks.refuse_seven, None, list(range(10)), helpers=1)
    assert len(sent) == 1  # 7 was the helper's
    assert parallel.spread(spread_tasks.refuse_seven, None, [0, 1, 2, 3], helpers=1)


def test_a_share_that_cannot_be_sent_is_an_error_and_the_next_call_answers(sent):
    unpicklable = threading.Lock()
    with pytest.raises(TypeError, match="pickle"):
        parallel.spread(spread_tasks.refuse_seven, unpicklable, [0, 1, 2, 3], helpers=1)
    # Those helpers are not asked again; the next call answers (alone while
    # new ones start), and then shares again.
    assert parallel.spread(spread_tasks.refuse_seven, None, [0, 1, 2, 3], helpers=1)
    parallel.start(1, wait=True)
    assert parallel.spread(
        spread_tasks.refuse_seven, None, list(range(6)), helpers=1
    ) == list(range(6))


def test_calls_from_two_threads_at_once_each_get_their_own_answers(sent):
    barrier = threading.Barrier(2)

    def call(offset):
        barrier.wait()
        return parallel.spread(spread_tasks.add, offset, list(range(40)), helpers=1)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(call, (1000, 2000))
    assert first == [1000 + t for t in range(40)]
    assert second == [2000 + t for t in range(40)]
    assert 1 <= len(sent) <= 2  # one of them may have answered alone
