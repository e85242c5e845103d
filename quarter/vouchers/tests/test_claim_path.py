"""One claim path on both engines: round-scoped identity, one vocabulary, races.

The page's button, the API and the benchmark send the same request through
the gate (`rushgate`); these tests drive the gate as the WSGI server does.
"""

import base64
import contextlib
import io
import json
import threading
import time

import pytest
from django.db import connection

from quarter.core.tests.locking import retry_while_locked
from quarter.ledger import selectors as ledger
from quarter.vouchers import accounts
from quarter.vouchers.engines import get_engine
from quarter.vouchers.engines.redis_engine import keys, persist_pending
from quarter.vouchers.models import Claim, Round
from quarter.vouchers.services.claims import claim_packet, issue_rush_ticket
from quarter.vouchers.tests.factories import (
    World,
    at,
    connection_kept_open,
    page_ticket,
)


def _call(gate, round_, ticket, ip="10.3.0.1", *, keep_open=True):
    seen = {}

    def start_response(status, headers):
        seen["status"] = int(status.split()[0])

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": f"/vouchers/rush/{round_.pk}/claim",
        "REMOTE_ADDR": ip,
        "HTTP_X_RUSH_TICKET": ticket,
        "wsgi.input": io.BytesIO(b""),
    }
    with connection_kept_open() if keep_open else contextlib.nullcontext():
        body = b"".join(gate(environ, start_response))
    return seen["status"], json.loads(body)


def _gate():
    from quarter.vouchers.rushgate import RushGate

    return RushGate(lambda environ, start_response: [b"django"])


@pytest.fixture
def gate(engine):
    return _gate()


@pytest.fixture
def db_gate(db_engine):
    return _gate()


@pytest.fixture
def redis_gate(redis_engine, settings):
    settings.REDIS_URL = redis_engine.url
    return _gate()


def _persist(*rounds):
    engine = get_engine()
    if engine.name == "redis":
        persist_pending(client=engine.client, round_ids=[r.pk for r in rounds])


def _same_millisecond(rounds):
    """Make every round's stream hand out the same entry ids from now on.

    Redis numbers entries ``<ms>-<seq>`` per stream; rounds released at the
    same second of a real rush get equal ids. Moving each stream's last id
    to one future millisecond makes that happen on every run, not by chance.
    """
    client = get_engine().client
    base = int(time.time() * 1000) + 3_600_000
    for r in rounds:
        client.execute_command(
            "XSETID", keys(r.campaign_id, r.pk)["claims"], f"{base}-0"
        )


def test_rounds_of_two_campaigns_selling_in_one_millisecond_lose_no_claim(
    world, engine
):
    rounds = [
        world.round(campaign, packets=3, name=f"轮{i}")
        for campaign in (world.campaign(), world.campaign())
        for i in range(2)
    ]
    residents = [world.resident() for _ in range(4)]
    at(rounds[-1])
    if engine.name == "redis":
        _same_millisecond(rounds)
    told_ok = {r.pk: set() for r in rounds}
    for resident in residents:
        for r in rounds:
            if _claim(resident, r).ok:
                told_ok[r.pk].add(resident.pk)
    if engine.name == "redis":
        streams = [keys(r.campaign_id, r.pk)["claims"] for r in rounds]
        ids = {frozenset(e[0] for e in engine.client.xrange(s)) for s in streams}
        assert len(ids) == 1  # every round handed out the very same entry ids
    _persist(*rounds)
    for r in rounds:
        r = Round.objects.get(pk=r.pk)
        in_db = set(Claim.objects.filter(round=r).values_list("resident_id", flat=True))
        assert len(told_ok[r.pk]) == 3
        assert in_db == told_ok[r.pk], f"round {r.pk}: acknowledged claims lost"
        assert (
            ledger.get_balance(code=accounts.claimed(r.campaign_id, r.pk).code)
            == 3 * r.packet_face_fen
        )
        report = engine.reconcile(r)
        assert report.agrees, report.problems
        assert engine.remaining(r) == 0


def _claim(resident, round_):
    return claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))


def test_reconcile_never_sells_again_a_packet_redis_acknowledged(
    world, redis_engine, redis_gate
):
    """Redis holds a claim the database lacks: stock is not raised, it is reported."""
    round_ = world.round(world.campaign(), packets=5)
    people = [world.resident() for _ in range(6)]
    tickets = [issue_rush_ticket(actor=p.user, round_=round_) for p in people]
    at(round_)
    for t in tickets[:3]:
        assert _call(redis_gate, round_, t)[1]["code"] == "ok"
    # One acknowledged entry can no longer be replayed from the stream (say,
    # it was trimmed before the persister got to it).
    stream = keys(round_.campaign_id, round_.pk)["claims"]
    first_id = redis_engine.client.xrange(stream, count=1)[0][0]
    redis_engine.client.xdel(stream, first_id)
    _persist(round_)
    report = redis_engine.reconcile(Round.objects.get(pk=round_.pk))
    assert not report.agrees and report.remaining == 2
    answers = [_call(redis_gate, round_, t)[1]["code"] for t in tickets[3:]]
    assert answers == ["ok", "ok", "packet_sold_out"]  # five packets, five people


def test_gate_speaks_one_vocabulary_on_both_engines(world, engine, gate):
    """The same taps get the same codes, statuses and messages from either engine."""
    campaign = world.campaign()
    weekly = [
        world.round(campaign, packets=2, person_limit="week", name=n)
        for n in ("周一场", "周三场")
    ]
    a, b, c = (world.resident() for _ in range(3))
    ticket = {
        (p.pk, r.pk): issue_rush_ticket(actor=p.user, round_=r)
        for p in (a, b, c)
        for r in weekly
    }
    first, second = weekly
    taps = [_call(gate, first, ticket[a.pk, first.pk])]  # before release
    at(second)
    taps += [
        _call(gate, first, ticket[a.pk, first.pk]),
        _call(gate, first, ticket[a.pk, first.pk]),
        _call(gate, first, ticket[b.pk, first.pk]),
        _call(gate, first, ticket[c.pk, first.pk]),
    ]
    _persist(first)
    taps.append(_call(gate, second, ticket[a.pk, second.pk]))
    taps.append(_call(gate, first, ticket[c.pk, second.pk]))  # wrong round
    assert [(status, body["code"]) for status, body in taps] == [
        (409, "round_not_released"),
        (200, "ok"),
        (200, "already_claimed"),
        (200, "ok"),
        (200, "packet_sold_out"),
        (409, "weekly_limit_reached"),
        (403, "rush_ticket_invalid"),
    ]
    messages = [body["message"] for _status, body in taps]
    assert messages[1] == "领取成功,已放入卡包" and messages[4] == "抢完了"
    assert messages[5] == "本周您已领过本活动的券包"
    assert taps[4][1]["sold_out_at"]
    assert all(
        body["ok"] is (status == 200 and body["code"] != "packet_sold_out")
        for status, body in taps
    )


def test_rush_ticket_carries_no_id_hash(world):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    body = ticket.rsplit(".", 1)[0]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    assert resident.id_hash not in decoded and resident.id_hash not in ticket
    assert str(resident.pk) in decoded.split(".")


@pytest.mark.django_db(transaction=True)
def test_one_resident_tapping_from_many_threads_gets_one_packet_and_no_5xx(
    engine, transactional_db, settings, monkeypatch
):
    """Eight taps of one resident at once: one packet, the rest "already claimed"."""
    monkeypatch.setenv("QUARTER_CLAIM_ACCOUNT_LIMIT", "1000")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = World()
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_)
    gate = _gate()
    start = threading.Barrier(8)
    answers, crashes = [], []

    def tap():
        try:
            start.wait()
            answers.append(
                retry_while_locked(lambda: _call(gate, round_, ticket, keep_open=False))
            )
        except Exception as exc:  # a 500 in production
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashes == []
    assert sorted((s, b["code"]) for s, b in answers) == [
        (200, "already_claimed")
    ] * 7 + [(200, "ok")]
    _persist(round_)
    assert Claim.objects.filter(round=round_).count() == 1
    assert get_engine().remaining(Round.objects.get(pk=round_.pk)) == 2
    assert ledger.get_total() == 0
    connection.close()


def test_wallet_shows_acknowledged_packet_and_writes_nothing(
    world, redis_engine, redis_gate, client
):
    """With Redis the persister is the one writer; the wallet only reads."""
    from quarter.vouchers.models import Voucher

    round_ = world.round(world.campaign(), packets=2, preset="hz2022")
    resident = world.resident()
    client.force_login(resident.user)
    ticket = page_ticket(client, round_)
    at(round_)
    assert _call(redis_gate, round_, ticket)[1]["code"] == "ok"
    html = client.get("/vouchers/wallet/").content.decode()
    assert "满¥80.00减¥20.00" in html and "入账中" in html
    api = client.get("/api/vouchers/wallet").json()
    assert len(api["pending"]) == 5 and api["vouchers"] == []
    assert Claim.objects.count() == 0 and Voucher.objects.count() == 0
    _persist(round_)
    html = client.get("/vouchers/wallet/").content.decode()
    assert "满¥80.00减¥20.00" in html and "入账中" not in html
    assert Voucher.objects.filter(resident=resident).count() == 5
    assert client.get("/api/vouchers/wallet").json()["pending"] == []


def test_lottery_round_registers_through_the_gate_on_both_engines(world, engine, gate):
    from quarter.vouchers.models import LotteryEntry

    round_ = world.round(world.campaign(), packets=2, mode="lottery")
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_)
    first = _call(gate, round_, ticket)
    again = _call(gate, round_, ticket)
    assert (first[0], first[1]["code"], first[1]["repeated"]) == (
        200,
        "registered",
        False,
    )
    assert (again[0], again[1]["code"], again[1]["repeated"]) == (
        200,
        "registered",
        True,
    )
    assert LotteryEntry.objects.get().resident_id == resident.pk
    assert Claim.objects.count() == 0 and engine.remaining(round_) == 2


def test_persister_writes_a_claim_whose_resident_lost_verification(
    world, redis_engine, redis_gate
):
    """An acknowledged claim is written even if the ID hash is gone by then."""
    from quarter.people.models import Resident

    round_ = world.round(world.campaign(), packets=2)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_)
    assert _call(redis_gate, round_, ticket)[1]["code"] == "ok"
    Resident.objects.filter(pk=resident.pk).update(id_hash=None)
    _persist(round_)
    claim = Claim.objects.get(round=round_)
    assert claim.resident_id == resident.pk and claim.person_hash.startswith("key:")


def test_redis_gate_claims_and_refuses_without_a_database_query(
    world, redis_engine, redis_gate, django_assert_num_queries
):
    """With Redis the tap costs the database nothing: the persister writes later."""
    round_ = world.round(world.campaign(), packets=1)
    winner, late = world.resident(), world.resident()
    tickets = [issue_rush_ticket(actor=p.user, round_=round_) for p in (winner, late)]
    at(round_)
    with django_assert_num_queries(0):
        codes = [
            _call(redis_gate, round_, t)[1]["code"] for t in (*tickets, tickets[0])
        ]
    assert codes == ["ok", "packet_sold_out", "already_claimed"]


def test_database_gate_claim_is_a_handful_of_statements(
    world, db_gate, django_assert_max_num_queries
):
    """The database engine's hot path: counted, no query in a loop."""
    round_ = world.round(world.campaign(), packets=2, preset="hz2022")
    people = [world.resident() for _ in range(3)]
    tickets = [issue_rush_ticket(actor=p.user, round_=round_) for p in people]
    at(round_)
    _call(db_gate, round_, tickets[0])  # the round's first claim opens its accounts
    # Savepoints count too (the test runs inside a transaction).
    with django_assert_max_num_queries(15):
        assert _call(db_gate, round_, tickets[1])[1]["code"] == "ok"
    _call(db_gate, round_, tickets[2])  # marks the round sold out
    with django_assert_max_num_queries(2):  # sold out: reads only
        assert _call(db_gate, round_, tickets[2])[1]["code"] == "packet_sold_out"
