"""Durability of the Redis engine: no acknowledged claim is ever lost.

A private redis-server runs with appendonly yes + appendfsync always. Threads
claim as fast as they can with the lean path's call (the Lua script only, no
database write); Redis is killed with SIGKILL mid-rush and restarted from its
AOF; the persister and `reconcile` then bring the database level with every
claim that was acknowledged — none lost, none doubled, stock exact.
"""

import threading
import time

import pytest
import redis

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.loopback import RedisClusterServer, RedisServer
from quarter.ledger import selectors as ledger
from quarter.vouchers import accounts, codes
from quarter.vouchers.engines import ClaimRequest, use_engine
from quarter.vouchers.engines.redis_engine import (
    RedisEngine,
    keys,
    new_client,
    persist_pending,
)
from quarter.vouchers.models import Claim, Round
from quarter.vouchers.tests.factories import at


@pytest.fixture(params=["single", "cluster"])
def server(request):
    """A private Redis, or a private 3-master Redis Cluster (killed as a whole)."""
    import shutil

    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        from conftest import _missing

        _missing("no redis-server: the durability tests start and kill their own")
    if request.param == "cluster":
        srv = RedisClusterServer(fsync="always").start()
    else:
        srv = RedisServer(fsync="always").start()
    yield srv
    srv.cleanup()


@pytest.fixture
def durable_engine(server):
    engine = RedisEngine(server.url, client=new_client(server.url))
    engine.check_durability()
    use_engine(engine)
    yield engine
    use_engine(None)


def _rush(server, round_, residents, *, kill_after: float):
    """Claim from 4 threads; SIGKILL Redis after `kill_after` s; return acked ids."""
    acked: dict[int, str] = {}
    lock = threading.Lock()
    now = clock.now()

    def worker(chunk):
        engine = RedisEngine(server.url, client=new_client(server.url))
        while True:  # residents keep tapping until the server dies under them
            for r in chunk:
                try:
                    out = engine.claim(
                        _request(r, round_),
                        now=now,
                    )
                except (
                    redis.ConnectionError,
                    redis.TimeoutError,
                    ConnectionResetError,
                ):
                    return  # not acknowledged: the resident saw an error
                except DomainError as exc:
                    # The engine's answer to a lost connection: 503, retry.
                    assert exc.code == "claim_engine_not_ready"
                    return
                if out.ok:
                    with lock:
                        assert acked.setdefault(r.pk, out.source_id) == out.source_id

    threads = [
        threading.Thread(target=worker, args=(residents[i::4],)) for i in range(4)
    ]
    for t in threads:
        t.start()
    # Kill once the rush is under way (some claims acknowledged), however slow
    # the machine is, and a little later so requests are in flight.
    deadline = time.monotonic() + 30
    while len(acked) < 50 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(kill_after)
    server.kill()
    for t in threads:
        t.join()
    return acked


def test_redis_killed_mid_rush_loses_no_acknowledged_claim(
    world, server, durable_engine
):
    round_ = world.round(world.campaign(budget_fen=30_000_000), packets=5000)
    residents = [world.resident() for _ in range(600)]
    at(round_)
    acked = _rush(server, round_, residents, kill_after=0.05)
    assert acked, "the rush must have acknowledged some claims before the kill"
    server.start()  # same directory: Redis replays its AOF
    engine = RedisEngine(server.url, client=new_client(server.url))
    use_engine(engine)
    round_ = Round.objects.get(pk=round_.pk)
    persist_pending(client=engine.client, round_ids=[round_.pk])
    report = engine.reconcile(round_)
    assert report.agrees, report.problems
    in_db = dict(
        Claim.objects.filter(round=round_).values_list("resident_id", "source_id")
    )
    lost = {r: s for r, s in acked.items() if in_db.get(r) != s}
    assert lost == {}
    assert Claim.objects.filter(round=round_).count() == engine.client.hlen(
        keys(round_.campaign_id, round_.pk)["claimers"]
    )
    assert engine.remaining(round_) + len(in_db) == round_.packets_total
    c = round_.campaign_id
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == (
        len(in_db) * round_.packet_face_fen
    )
    # After the restart the same residents cannot claim a second packet.
    again = engine.claim(
        _request(residents[0], round_),
        now=clock.now(),
    )
    assert not again.ok or again.repeated


def test_persister_crash_before_ack_writes_each_claim_once(
    world, server, durable_engine
):
    round_ = world.round(world.campaign(), packets=50)
    residents = [world.resident() for _ in range(10)]
    at(round_)
    for r in residents:
        assert durable_engine.claim(
            _request(r, round_),
            now=clock.now(),
        ).ok
    client = durable_engine.client
    stream = keys(round_.campaign_id, round_.pk)["claims"]
    # A persister read the entries, wrote them, and died before XACK.
    entries = client.xreadgroup("persist", "dead-one", {stream: ">"}, count=100)[0][1]
    from quarter.vouchers.engines.redis_engine import entry_of
    from quarter.vouchers.services.claims import materialize_claims

    assert len(materialize_claims(round_, [entry_of(e) for e in entries[:6]])) == 6
    assert persist_pending(client=client, round_ids=[round_.pk], idle_ms=0) == 4
    assert persist_pending(client=client, round_ids=[round_.pk], idle_ms=0) == 0
    assert Claim.objects.filter(round=round_).count() == 10
    assert client.xpending(stream, "persist")["pending"] == 0


def test_redis_lost_everything_rebuilds_from_database(world, server, durable_engine):
    round_ = world.round(world.campaign(), packets=5)
    residents = [world.resident() for _ in range(3)]
    at(round_)
    for r in residents:
        durable_engine.claim(
            _request(r, round_),
            now=clock.now(),
        )
    persist_pending(client=durable_engine.client, round_ids=[round_.pk])
    durable_engine.client.flushall()  # a Redis that came back empty
    report = durable_engine.reconcile(Round.objects.get(pk=round_.pk))
    assert report.rebuilt and report.agrees
    assert durable_engine.remaining(round_) == 2
    out = durable_engine.claim(
        _request(residents[1], round_),
        now=clock.now(),
    )
    assert out.ok and out.repeated


def _request(resident, round_):
    return ClaimRequest(
        round_id=round_.pk,
        campaign_id=round_.campaign_id,
        user_id=resident.user_id,
        resident_id=resident.pk,
        person_key=codes.person_key(
            campaign_id=round_.campaign_id, id_hash=resident.id_hash
        ),
    )
