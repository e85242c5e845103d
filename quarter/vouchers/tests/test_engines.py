"""One test suite for both claim engines (database and Redis): `claim_packet`."""

import datetime as dt
import threading

import pytest
from django.db import connection

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.tests.locking import retry_while_locked
from quarter.ledger import selectors as ledger
from quarter.people.models import Resident
from quarter.vouchers import accounts, codes
from quarter.vouchers.engines import ClaimRequest, get_engine
from quarter.vouchers.engines.redis_engine import persist_pending
from quarter.vouchers.models import Claim, Round, Voucher
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at

# The five vouchers of a "hz2022" packet: (face, threshold) in fen.
HZ2022_PACKET = [(500, 2000), (500, 2000), (1000, 4000), (1000, 4000), (2000, 8000)]


def _claim(resident, round_, ip="10.0.0.1"):
    return claim_packet(
        actor=resident.user, round_=Round.objects.get(pk=round_.pk), ip=ip
    )


def _persist(*rounds):
    """Run the persister, as `persist_claims --loop` does beside the app (Redis).

    With Redis the persister is the only writer of claim rows; the database
    engine wrote them in the claim's own transaction.
    """
    engine = get_engine()
    if engine.name == "redis":
        persist_pending(client=engine.client, round_ids=[r.pk for r in rounds])


def test_claim_puts_packet_in_wallet_and_moves_money(world, engine):
    round_ = world.round(world.campaign(), packets=3, preset="hz2022")
    resident = world.resident()
    at(round_)
    outcome = _claim(resident, round_)
    assert outcome.ok and not outcome.repeated and outcome.source_id
    _persist(round_)
    vouchers = Voucher.objects.filter(resident=resident)
    assert sorted((v.face_fen, v.threshold_fen) for v in vouchers) == HZ2022_PACKET
    c = round_.campaign_id
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 5000
    assert ledger.get_balance(code=accounts.unclaimed(c, round_.pk).code) == 2 * 5000
    assert engine.remaining(round_) == 2


def test_claims_written_in_one_batch_are_whole(world, engine):
    """Thirty claims land together (the persister's batch: COPY on PostgreSQL)
    with each claim's fields, its five vouchers and the ledger's money."""
    round_ = world.round(world.campaign(), packets=40, preset="hz2022")
    residents = [world.resident() for _ in range(30)]
    at(round_)
    acknowledged = {
        r.pk: _claim(r, round_, ip=f"10.2.0.{i + 1}").source_id
        for i, r in enumerate(residents)
    }
    _persist(round_)
    round_ = Round.objects.get(pk=round_.pk)
    claims = {c.resident_id: c for c in Claim.objects.filter(round=round_)}
    assert {pk: c.source_id for pk, c in claims.items()} == acknowledged
    for i, resident in enumerate(residents):
        claim = claims[resident.pk]
        assert claim.campaign_id == round_.campaign_id
        assert claim.person_hash == resident.id_hash
        assert claim.ip == f"10.2.0.{i + 1}"
        assert claim.status == Claim.Status.ACTIVE
        assert claim.claimed_at <= claim.persisted_at
        vouchers = Voucher.objects.filter(claim=claim)
        assert sorted((v.face_fen, v.threshold_fen) for v in vouchers) == HZ2022_PACKET
        assert {
            (v.resident_id, v.round_id, v.status, v.valid_from, v.valid_until)
            for v in vouchers
        } == {
            (
                resident.pk,
                round_.pk,
                Voucher.Status.UNUSED,
                round_.valid_from,
                round_.valid_until,
            )
        }
    c = round_.campaign_id
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 30 * 5000
    assert engine.remaining(round_) == 10
    # A second run of the persister writes nothing twice.
    _persist(round_)
    assert Claim.objects.filter(round=round_).count() == 30
    assert Voucher.objects.filter(round=round_).count() == 150


def test_claim_before_release_refused(world, engine):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    clock.freeze(round_.release_at - dt.timedelta(milliseconds=500))
    with pytest.raises(DomainError) as exc:
        _claim(resident, round_)
    assert exc.value.code == "round_not_released"
    assert Claim.objects.count() == 0 and engine.remaining(round_) == 3


def test_claim_twice_returns_first_packet(world, engine):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    at(round_)
    first = _claim(resident, round_)
    again = _claim(resident, round_)
    assert again.ok and again.repeated and again.source_id == first.source_id
    _persist(round_)
    assert Claim.objects.get().source_id == first.source_id
    assert Claim.objects.count() == 1 and Voucher.objects.count() == 5
    assert engine.remaining(round_) == 2


def test_claim_same_person_second_account_refused(world, engine):
    """A person who claimed, then verified a new account, gets no second packet."""
    round_ = world.round(world.campaign(), packets=3)
    first = world.resident(id_n=77)
    second = world.resident(verified=False)
    at(round_)
    assert _claim(first, round_).ok
    _persist(round_)
    # The same ID number moves to a new account (the unique column allows it
    # on one account at a time), with its register entry and household.
    person = first.id_hash
    Resident.objects.filter(pk=first.pk).update(id_hash=None, register_entry=None)
    Resident.objects.filter(pk=second.pk).update(
        id_hash=person,
        verified_at=clock.now(),
        id_masked=first.id_masked,
        register_entry_id=first.register_entry_id,
        household_id=first.household_id,
    )
    second = Resident.objects.get(pk=second.pk)
    second.user.resident = second
    with pytest.raises(DomainError) as exc:
        claim_packet(actor=second.user, round_=Round.objects.get(pk=round_.pk))
    assert exc.value.code == "person_already_claimed"
    _persist(round_)
    assert Claim.objects.count() == 1


def test_claim_sold_out_reports_time_and_never_oversells(world, engine):
    round_ = world.round(world.campaign(), packets=2)
    residents = [world.resident() for _ in range(4)]
    when = at(round_, 3)
    results = [_claim(r, round_) for r in residents]
    _persist(round_)
    assert [r.ok for r in results] == [True, True, False, False]
    assert results[2].code == "packet_sold_out"
    assert results[3].sold_out_at is not None
    assert abs((results[3].sold_out_at - when).total_seconds()) < 1
    assert Claim.objects.count() == 2 and engine.remaining(round_) == 0


def test_claim_unverified_or_outside_area_refused(world, engine):
    from quarter.vouchers.tests.factories import World

    round_ = world.round(world.campaign(community_ids=[world.community.pk]), packets=3)
    at(round_)
    with pytest.raises(DomainError) as exc:
        _claim(world.resident(verified=False), round_)
    assert exc.value.code == "real_name_required"
    elsewhere = World()
    with pytest.raises(DomainError) as exc:
        _claim(world.resident(compound=elsewhere.compound), round_)
    assert exc.value.code == "not_in_campaign_area"
    assert Claim.objects.count() == 0


def test_claim_age_group_round(world, engine):
    round_ = world.round(world.campaign(), packets=3, min_age=60)
    at(round_)
    with pytest.raises(DomainError) as exc:
        _claim(world.resident(born="19900101"), round_)
    assert exc.value.code == "below_minimum_age"
    assert _claim(world.resident(born="19500101"), round_).ok


def test_claim_repeated_taps_answer_already_claimed_never_limited(
    world, engine, monkeypatch
):
    """Only a request that would take a packet counts against the limits."""
    from quarter.vouchers.answers import claim_answer

    monkeypatch.setenv("QUARTER_CLAIM_ACCOUNT_LIMIT", "1")
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    at(round_)
    first = _claim(resident, round_)
    answers = [claim_answer(_claim(resident, round_)) for _ in range(5)]
    assert first.ok and not first.repeated
    assert {(status, body["code"]) for status, body in answers} == {
        (200, "already_claimed")
    }
    _persist(round_)
    assert Claim.objects.count() == 1


def test_claim_rate_limited_per_ip(world, engine, monkeypatch):
    monkeypatch.setenv("QUARTER_CLAIM_IP_LIMIT", "2")
    round_ = world.round(world.campaign(), packets=5)
    at(round_)
    _claim(world.resident(), round_, ip="10.9.9.9")
    _claim(world.resident(), round_, ip="10.9.9.9")
    with pytest.raises(DomainError) as exc:
        _claim(world.resident(), round_, ip="10.9.9.9")
    assert exc.value.code == "rate_limited"
    assert _claim(world.resident(), round_, ip="10.9.9.8").ok


def test_stop_open_round_releases_stock_and_refuses_claims(world, engine):
    from quarter.vouchers.services.campaigns import stop_round

    campaign = world.campaign()
    round_ = world.round(campaign, packets=4)
    at(round_)
    _claim(world.resident(), round_)
    _persist(round_)
    stop_round(actor=world.issuer_user, round_=round_, reason="系统维护")
    with pytest.raises(DomainError) as exc:
        _claim(world.resident(), round_)
    assert exc.value.code == "round_closed"
    c = campaign.pk
    assert ledger.get_balance(code=accounts.unclaimed(c, round_.pk).code) == 0
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 5000
    assert engine.reconcile(Round.objects.get(pk=round_.pk)).agrees


@pytest.mark.django_db(transaction=True)
def test_claim_concurrent_rush_no_oversell_no_double(
    engine, transactional_db, settings, monkeypatch
):
    """Threads hammer one round: `packets` claims, one per person, ledger exact."""
    from quarter.vouchers.tests.factories import World

    monkeypatch.setenv("QUARTER_CLAIM_ACCOUNT_LIMIT", "1000")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = World()
    packets = 7
    round_ = world.round(world.campaign(), packets=packets)
    residents = [world.resident() for _ in range(20)]
    at(round_)
    oks, errors = [], []

    def worker(chunk):
        try:
            for r in chunk:
                for _ in range(2):  # every resident taps twice
                    try:
                        out = retry_while_locked(
                            lambda r=r: _claim(
                                r,
                                round_,
                                ip=f"10.1.{r.pk // 250 % 250}.{r.pk % 250 + 1}",
                            )
                        )
                        if out.ok:
                            oks.append(r.pk)
                    except DomainError as exc:
                        errors.append(exc.code)
        finally:
            connection.close()  # each thread's own connection

    threads = [
        threading.Thread(target=worker, args=(residents[i::4],)) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _persist(round_)
    winners = set(
        Claim.objects.filter(round=round_).values_list("resident_id", flat=True)
    )
    assert len(winners) == packets == Claim.objects.filter(round=round_).count()
    assert set(oks) == winners  # everyone told "yes" holds a packet, and only they
    assert get_engine().remaining(round_) == 0
    c = round_.campaign_id
    assert (
        ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == packets * 5000
    )
    assert ledger.get_total() == 0
    connection.close()


def test_db_engine_sold_out_answers_without_writing(world, db_engine):
    from quarter.vouchers.models import RateCounter

    round_ = world.round(world.campaign(), packets=1)
    winner, late = world.resident(), world.resident()
    at(round_)
    assert _claim(winner, round_).ok
    assert _claim(late, round_).code == "packet_sold_out"  # marks the round sold out
    counters = list(RateCounter.objects.values_list("key", "count"))
    again = _claim(late, round_)
    assert again.code == "packet_sold_out" and again.sold_out_at is not None
    assert list(RateCounter.objects.values_list("key", "count")) == counters
    mine = _claim(winner, round_)
    assert mine.ok and mine.repeated


def _weekly_rounds(world, n=2):
    campaign = world.campaign()
    return [
        world.round(campaign, packets=3, person_limit="week", name=f"周轮{i}")
        for i in range(n)
    ]


def test_claim_per_week_limit_spans_rounds_and_resets_next_week(world, engine):
    first, second = _weekly_rounds(world)
    resident, neighbour = world.resident(), world.resident()
    at(first)
    assert _claim(resident, first).ok
    _persist(first)
    with pytest.raises(DomainError) as exc:
        _claim(resident, second)
    assert exc.value.code == "weekly_limit_reached"
    assert engine.remaining(second) == 3 and Claim.objects.count() == 1
    assert _claim(neighbour, second).ok  # the limit is per person, not per round
    later = world.round(
        Round.objects.get(pk=first.pk).campaign,
        packets=3,
        person_limit="week",
        release_in=dt.timedelta(days=7, minutes=5),
        name="下周",
    )
    at(later)
    assert _claim(resident, later).ok
    _persist(first, second, later)
    weeks = set(Claim.objects.filter(resident=resident).values_list("week", flat=True))
    assert len(weeks) == 2 and "" not in weeks


def test_engine_enforces_week_limit_atomically(world, engine):
    """Two claims racing past the service's early check: the engine refuses one."""
    first, second = _weekly_rounds(world)
    resident = world.resident()
    now = at(first)
    calls = [
        engine.claim(_request(resident, r), now=now, round_=Round.objects.get(pk=r.pk))
        for r in (first, second)
    ]
    assert calls[0].ok and not calls[1].ok
    assert calls[1].code == "weekly_limit_reached"
    assert engine.remaining(Round.objects.get(pk=second.pk)) == 3


def test_per_round_limit_does_not_span_rounds(world, engine):
    campaign = world.campaign()
    rounds = [world.round(campaign, packets=3, name=f"轮{i}") for i in range(2)]
    resident = world.resident()
    at(rounds[0])
    assert all(_claim(resident, r).ok for r in rounds)
    _persist(*rounds)
    assert set(Claim.objects.values_list("week", flat=True)) == {""}


def _request(resident, round_, ip=None):
    return ClaimRequest(
        round_id=round_.pk,
        campaign_id=round_.campaign_id,
        user_id=resident.user_id,
        resident_id=resident.pk,
        person_key=codes.person_key(
            campaign_id=round_.campaign_id, id_hash=resident.id_hash
        ),
        ip=ip,
    )
