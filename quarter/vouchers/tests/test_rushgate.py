"""The gate (`rushgate`) on both engines, and its Django fallback view."""

import io
import json

import pytest

from quarter.vouchers import codes
from quarter.vouchers.engines.redis_engine import persist_pending
from quarter.vouchers.models import Claim, Round
from quarter.vouchers.services.claims import issue_rush_ticket
from quarter.vouchers.tests.factories import at, connection_kept_open


def _call(gate, path, ticket="", method="POST", ip="10.2.0.1", **headers):
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": ip,
        "HTTP_X_RUSH_TICKET": ticket,
        "wsgi.input": io.BytesIO(b""),
        **headers,
    }
    with connection_kept_open():
        body = b"".join(gate(environ, start_response))
    return seen["status"], body


@pytest.fixture
def gate(redis_engine, settings, monkeypatch):
    from quarter.vouchers.rushgate import RushGate

    settings.REDIS_URL = redis_engine.url
    monkeypatch.delenv("QUARTER_CLAIM_ENGINE", raising=False)

    def django_app(environ, start_response):
        start_response("200 OK", [])
        return [b"django"]

    return RushGate(django_app)


def test_rushgate_claims_with_ticket_then_persister_writes_it(
    world, gate, redis_engine
):
    round_ = world.round(world.campaign(), packets=1)
    resident, other = world.resident(), world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_, 0.5)
    status, body = _call(gate, f"/vouchers/rush/{round_.pk}/claim", ticket)
    data = json.loads(body)
    assert status == "200 OK" and data["ok"] is True and data["code"] == "ok"
    status, body = _call(gate, f"/vouchers/rush/{round_.pk}/claim", ticket)
    assert json.loads(body)["code"] == "already_claimed"
    late = issue_rush_ticket(actor=other.user, round_=round_)
    data = json.loads(_call(gate, f"/vouchers/rush/{round_.pk}/claim", late)[1])
    assert (
        data["ok"] is False
        and data["code"] == "packet_sold_out"
        and data["sold_out_at"]
    )
    assert Claim.objects.count() == 0  # the lean path wrote only to Redis
    assert persist_pending(client=redis_engine.client, round_ids=[round_.pk]) == 1
    assert Claim.objects.get().resident_id == resident.pk
    assert redis_engine.reconcile(Round.objects.get(pk=round_.pk)).agrees


def test_rushgate_refuses_forged_or_foreign_ticket_and_passes_other_paths(world, gate):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    forged = ticket[:-4] + ("0000" if not ticket.endswith("0000") else "1111")
    assert (
        _call(gate, f"/vouchers/rush/{round_.pk}/claim", forged)[0] == "403 Forbidden"
    )
    assert (
        _call(gate, f"/vouchers/rush/{round_.pk + 1}/claim", ticket)[0]
        == "403 Forbidden"
    )
    assert _call(gate, "/vouchers/", method="GET")[1] == b"django"
    # Before release the script refuses, whatever the client's clock says.
    assert json.loads(_call(gate, f"/vouchers/rush/{round_.pk}/claim", ticket)[1])[
        "code"
    ] == ("round_not_released")


def test_ticket_of_unverified_resident_is_never_issued(world):
    from quarter.core.errors import DomainError

    round_ = world.round(world.campaign(), packets=3)
    with pytest.raises(DomainError) as exc:
        issue_rush_ticket(actor=world.resident(verified=False).user, round_=round_)
    assert exc.value.code == "real_name_required"


def test_django_ticket_path_with_database_engine(world, db_engine, client):
    round_ = world.round(world.campaign(), packets=2)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_)
    resp = client.post(f"/vouchers/rush/{round_.pk}/claim", HTTP_X_RUSH_TICKET=ticket)
    assert resp.status_code == 200 and resp.json()["ok"] is True
    assert Claim.objects.get().resident_id == resident.pk
    bad = client.post(f"/vouchers/rush/{round_.pk}/claim", HTTP_X_RUSH_TICKET="x.y")
    assert bad.status_code == 403 and bad.json()["code"] == "rush_ticket_invalid"
    assert client.get("/vouchers/hello").content == b"hello"


def test_ticket_expires_and_binds_round():
    t = codes.sign_ticket(
        round_id=1,
        campaign_id=7,
        user_id=2,
        resident_id=3,
        person_hash="h",
        expires=100,
    )
    key = codes.person_key(campaign_id=7, id_hash="h")
    assert codes.verify_ticket(t, now=99) == (1, 7, 2, 3, key)
    assert key != codes.person_key(campaign_id=8, id_hash="h")  # per campaign
    body, sig = t.rsplit(".", 1)
    assert codes.verify_ticket(body + "." + "0" * len(sig), now=99) is None
    assert codes.verify_ticket(t, now=101) is None


def test_rushgate_week_limit_survives_redis_losing_its_sets(world, gate, redis_engine):
    campaign = world.campaign()
    first, second = (
        world.round(campaign, packets=3, person_limit="week", name=n)
        for n in ("周一场", "周三场")
    )
    resident = world.resident()
    tickets = [
        issue_rush_ticket(actor=resident.user, round_=r) for r in (first, second)
    ]
    at(first)
    assert json.loads(_call(gate, f"/vouchers/rush/{first.pk}/claim", tickets[0])[1])[
        "ok"
    ]
    persist_pending(client=redis_engine.client, round_ids=[first.pk])
    # Redis loses everything (say, a new empty server); the database remembers.
    redis_engine.client.flushdb()
    assert redis_engine.reconcile(Round.objects.get(pk=second.pk)).agrees
    status, body = _call(gate, f"/vouchers/rush/{second.pk}/claim", tickets[1])
    assert status == "409 Conflict"
    assert json.loads(body)["code"] == "weekly_limit_reached"
    assert redis_engine.remaining(Round.objects.get(pk=second.pk)) == 3


@pytest.fixture
def db_gate(db_engine, settings):
    """The gate in front of the database engine (no Redis configured)."""
    from django.core import signals
    from django.db import close_old_connections

    from quarter.vouchers.rushgate import RushGate

    settings.REDIS_URL = ""
    # As Django's test client does: the test's transaction must stay open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield RushGate(lambda environ, start_response: [b"django"])
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_rushgate_serves_database_engine_claims(world, db_gate):
    round_ = world.round(world.campaign(), packets=1, preset="hz2022")
    first, second = world.resident(), world.resident()
    tickets = [issue_rush_ticket(actor=r.user, round_=round_) for r in (first, second)]
    path = f"/vouchers/rush/{round_.pk}/claim"
    status, body = _call(db_gate, path, tickets[0])
    assert status == "409 Conflict"
    assert json.loads(body)["code"] == "round_not_released"
    at(round_)
    status, body = _call(db_gate, path, tickets[0])
    assert status == "200 OK" and json.loads(body)["ok"] is True
    claim = Claim.objects.get()
    assert claim.resident_id == first.pk and claim.vouchers.count() == 5
    again = json.loads(_call(db_gate, path, tickets[0])[1])
    assert again["ok"] is True and again["repeated"] is True
    late = json.loads(_call(db_gate, path, tickets[1])[1])
    assert late["ok"] is False and late["code"] == "packet_sold_out"
    assert late["sold_out_at"]
    status, body = _call(db_gate, path, "forged.ticket")
    assert status == "403 Forbidden"
    assert json.loads(body)["code"] == "rush_ticket_invalid"
    assert Claim.objects.count() == 1


def _released_round_with_tickets(world, *, people: int):
    """A released round with a packet more than `people`, and a ticket each."""
    round_ = world.round(world.campaign(), packets=people + 1)
    residents = [world.resident() for _ in range(people)]
    tickets = [issue_rush_ticket(actor=r.user, round_=round_) for r in residents]
    at(round_)
    return f"/vouchers/rush/{round_.pk}/claim", tickets


def test_rushgate_limits_claims_per_ip_but_not_refusals(world, gate, monkeypatch):
    monkeypatch.setenv("QUARTER_CLAIM_IP_LIMIT", "2")
    path, tickets = _released_round_with_tickets(world, people=4)
    answers = [json.loads(_call(gate, path, t, ip="10.7.7.7")[1]) for t in tickets[:3]]
    assert [a["code"] for a in answers] == ["ok", "ok", "rate_limited"]
    # Re-taps of a claimed packet change nothing and are not limited.
    assert all(
        json.loads(_call(gate, path, tickets[0], ip="10.7.7.7")[1])["code"]
        == "already_claimed"
        for _ in range(5)
    )
    assert json.loads(_call(gate, path, tickets[3], ip="10.7.7.8")[1])["code"] == "ok"


@pytest.mark.parametrize("gate_fixture", ["gate", "db_gate"])
def test_behind_a_proxy_each_resident_counts_against_their_own_address(
    world, gate_fixture, request, settings, monkeypatch
):
    """Every request comes from the proxy's address; the limit reads the header
    the proxy sets (QUARTER_CLIENT_IP_HEADER), so residents do not share it."""
    gate = request.getfixturevalue(gate_fixture)
    settings.QUARTER_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    monkeypatch.setenv("QUARTER_CLAIM_IP_LIMIT", "1")
    path, tickets = _released_round_with_tickets(world, people=5)

    def tap(ticket, real_ip):
        answer = _call(gate, path, ticket, ip="127.0.0.1", HTTP_X_REAL_IP=real_ip)
        return json.loads(answer[1])["code"]

    assert [tap(t, f"10.9.0.{i}") for i, t in enumerate(tickets[:3])] == ["ok"] * 3
    assert tap(tickets[3], "10.9.0.0") == "rate_limited"  # the first one's phone
    # Without the setting they all share the proxy's one address.
    settings.QUARTER_CLIENT_IP_HEADER = ""
    assert tap(tickets[3], "10.9.0.200") == "ok"
    assert tap(tickets[4], "10.9.0.201") == "rate_limited"


def test_rushgate_answers_503_when_redis_is_down(world, gate, redis_engine):
    """Redis unreachable mid-rush: the resident is told to retry, never an empty 500."""
    from quarter.core.loopback import free_port
    from quarter.vouchers.engines import use_engine
    from quarter.vouchers.engines.redis_engine import RedisEngine, new_client

    round_ = world.round(world.campaign(), packets=1)
    resident = world.resident()
    ticket = issue_rush_ticket(actor=resident.user, round_=round_)
    at(round_, 0.5)
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    use_engine(RedisEngine(nowhere, client=new_client(nowhere)))
    status, body = _call(gate, f"/vouchers/rush/{round_.pk}/claim", ticket)
    data = json.loads(body)
    assert status.startswith("503") and data["ok"] is False
    assert data["code"] == "claim_engine_not_ready" and data["message"]
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    "restart",
    [
        pytest.param(lambda client: client.script_flush(), id="scripts_forgotten"),
        pytest.param(
            lambda client: client.client_kill_filter(_type="normal", skipme=False),
            id="connections_closed",
        ),
    ],
)
def test_rushgate_claims_on_after_a_redis_restart(world, gate, redis_engine, restart):
    """A restarted Redis has forgotten the claim script (the gate's EVALSHA gets
    NOSCRIPT and loads it) and closed every connection (the claim goes out again
    on a new one, once). The next tap is not told to retry; nothing is taken
    twice."""
    round_ = world.round(world.campaign(), packets=2)
    first, second = world.resident(), world.resident()
    tickets = [issue_rush_ticket(actor=r.user, round_=round_) for r in (first, second)]
    path = f"/vouchers/rush/{round_.pk}/claim"
    at(round_)
    assert json.loads(_call(gate, path, tickets[0])[1])["code"] == "ok"
    restart(redis_engine.client)
    status, body = _call(gate, path, tickets[1])
    assert status.startswith("200") and json.loads(body)["code"] == "ok"
    assert redis_engine.remaining(Round.objects.get(pk=round_.pk)) == 0
    assert json.loads(_call(gate, path, tickets[0])[1])["code"] == "already_claimed"
    assert persist_pending(client=redis_engine.client, round_ids=[round_.pk]) == 2
    assert sorted(Claim.objects.values_list("resident_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
