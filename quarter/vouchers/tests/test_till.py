"""The till under load and attack: queries counted, the cap under the lock, pay codes.

A redemption runs a fixed number of statements whatever the shop's history
(the risk context is one query), two tills cannot both pass the per-day cap,
and pay codes neither show the resident id nor survive guessing.
"""

import base64
import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.tests.locking import retry_while_locked
from quarter.places.models import MerchantStaff, OpeningHours
from quarter.vouchers import codes, risk
from quarter.vouchers.models import (
    Claim,
    RateCounter,
    Redemption,
    Round,
    Voucher,
    VoucherEvent,
)
from quarter.vouchers.services import redemptions
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at

# What one redemption may cost: 9 statements of the till (staff, key, pay-code
# counters, resident lock, vouchers with today's uses, risk context,
# redemption, voucher, event), the ledger's guarded post (5 statements and
# its savepoint), the redemption's own savepoint, and its visit (the visit
# log's key lookup, and the insert in its savepoint: 4 statements).
REDEEM_MAX_QUERIES = 23  # +1: the referral lookup on the visit (quarter.referrals)
QUOTE_MAX_QUERIES = 4


@pytest.fixture
def shop(world, db_engine):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=50, preset="hz2022")
    world.pledge(campaign)
    at(round_, 10)
    return world, campaign, round_


def _claimed(world, round_):
    resident = world.resident()
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    return resident


def _code(resident, *, ago: float = 0):
    return codes.wallet_code(resident.pk, at=clock.now().timestamp() - ago)


def _redeem(world, resident, bill_fen=4500, key="k", code=None):
    return redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        code=code or _code(resident),
        bill_fen=bill_fen,
        key=key,
    )


def _history(world, round_, *, days: int, per_day: int):
    """Write `per_day` past redemptions a day for `days` days (rows, not the till)."""
    other = _claimed(world, round_)
    claim = Claim.objects.get(resident=other)
    now = clock.now()
    for back in range(1, days + 1):
        for i in range(per_day):
            v = Voucher.objects.create(
                claim=claim,
                round=round_,
                resident=other,
                face_fen=1000,
                threshold_fen=4000,
                valid_from=round_.valid_from,
                valid_until=round_.valid_until,
                status="used",
            )
            Redemption.objects.create(
                voucher=v,
                merchant=world.shop,
                resident=other,
                staff=world.cashier,
                key=f"h{back}-{i}",
                bill_fen=4000 + 50 * i,
                face_fen=1000,
                payable_fen=3000 + 50 * i,
                status="settled",
                created_at=now - dt.timedelta(days=back),
            )


def test_redeem_query_budget_does_not_grow_with_history(
    shop, django_assert_max_num_queries
):
    world, _campaign, round_ = shop
    first, second, third = (_claimed(world, round_) for _ in range(3))
    _redeem(world, first, key="warm")  # opens the ledger accounts once
    with django_assert_max_num_queries(QUOTE_MAX_QUERIES):
        redemptions.quote_redemption(
            actor=world.cashier, merchant=world.shop, code=_code(second), bill_fen=4500
        )
    with CaptureQueriesContext(connection) as quiet:
        _redeem(world, second, key="quiet")
    assert len(quiet.captured_queries) <= REDEEM_MAX_QUERIES
    _history(world, round_, days=14, per_day=3)
    with CaptureQueriesContext(connection) as busy:
        _redeem(world, third, key="busy")
    # Fourteen days of history cost no extra query (there was one per day).
    assert len(busy.captured_queries) == len(quiet.captured_queries)


def test_risk_context_counts_what_the_rows_say(shop):
    world, _campaign, round_ = shop
    _history(world, round_, days=14, per_day=2)
    resident = _claimed(world, round_)
    OpeningHours.objects.create(
        merchant=world.shop, weekday=0, open_minute=0, close_minute=1
    )
    voucher = Voucher.objects.filter(resident=resident, threshold_fen=4000).first()
    ctx = redemptions._risk_context(voucher, resident, world.shop, 4100, clock.now())
    assert ctx.shop_daily_history == [2] * 14
    assert ctx.shop_today == 0 and ctx.pair_recent == 0
    # The newest 19 of the last 7 days: 14 rows, bills ¥40 and ¥40.50 on ¥40.
    assert (ctx.shop_recent, ctx.shop_recent_near) == (14, 14)
    assert ctx.shop_open is (
        clock.now().astimezone(clock.SHANGHAI).weekday() == 0
        and clock.now().astimezone(clock.SHANGHAI).hour * 60
        + clock.now().astimezone(clock.SHANGHAI).minute
        < 1
    )
    assert ctx.resident_is_staff is False and ctx.code_locked_recently is False
    flags = {f.code for f in risk.evaluate(ctx)}
    assert "just_above_threshold" in flags


def test_redeem_refuses_a_second_use_past_the_cap_in_one_day(shop):
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    _redeem(world, resident, bill_fen=8000, key="a")
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, bill_fen=4500, key="b")
    assert exc.value.code == "daily_cap_reached"


@pytest.mark.django_db(transaction=True)
def test_two_tills_racing_past_the_daily_cap_cannot_both_succeed(
    transactional_db, db_engine, settings, monkeypatch
):
    """Two tills of one shop redeem two different vouchers of one resident at once.

    Each till is held inside its transaction until the other has got as far
    as it can, so without the cap checked under a shared lock both would
    commit (one voucher each) and the cap of one a day would be passed.
    """
    from quarter.vouchers.tests.factories import World

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = World()
    campaign = world.campaign()  # max one use per shop per day
    round_ = world.round(campaign, packets=2, preset="hz2022")
    world.pledge(campaign)
    second_till = world.user("till-2", role="merchant")
    MerchantStaff.objects.create(merchant=world.shop, user=second_till, role="staff")
    at(round_, 10)
    resident = _claimed(world, round_)
    both_inside = threading.Barrier(2, timeout=3)
    real_evaluate = risk.evaluate

    def evaluate_when_both_inside(ctx):
        try:
            both_inside.wait()
        except threading.BrokenBarrierError:
            pass  # the other till is queued behind this one: as it should be
        return real_evaluate(ctx)

    monkeypatch.setattr(risk, "evaluate", evaluate_when_both_inside)
    results = []

    def till(cashier, bill_fen, key):
        try:
            r = retry_while_locked(
                lambda: redemptions.redeem_voucher(
                    actor=cashier,
                    merchant=world.shop,
                    code=_code(resident),
                    bill_fen=bill_fen,
                    key=key,
                )
            )
            results.append(("ok", r.face_fen))
        except DomainError as exc:
            results.append((exc.code, None))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=till, args=(world.cashier, 8000, "till-1")),
        threading.Thread(target=till, args=(second_till, 4500, "till-2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == ["daily_cap_reached", "ok"]
    assert Redemption.objects.filter(resident=resident).count() == 1
    assert Voucher.objects.filter(resident=resident, status="used").count() == 1
    connection.close()


# --- pay codes ---------------------------------------------------------------


def test_pay_codes_do_not_show_the_resident_id():
    at_ = 1_790_000_000.0
    resident_id = 4711
    typed = codes.wallet_code(resident_id, at=at_)
    assert len(typed) == 18 and typed.isdigit() and str(resident_id) not in typed[:10]
    first, second = (codes.wallet_token(resident_id, at=at_) for _ in range(2))
    assert first != second and len(first) == 51  # a fresh nonce every time
    for token in (first, second):
        raw = base64.urlsafe_b64decode(token[3:])
        assert resident_id.to_bytes(8, "big") not in raw
        assert codes.parse_wallet_code(token, at=at_).resident_id == resident_id
    assert codes.parse_wallet_code(codes.group_code(typed), at=at_ + 29).resident_id
    assert codes.parse_wallet_code(typed, at=at_ + 61).resident_id is None
    assert codes.parse_wallet_code(first, at=at_ + 61) == (None, resident_id)
    forged = first[:-2] + ("AA" if first[-2:] != "AA" else "BB")
    assert codes.parse_wallet_code(forged, at=at_) == (None, None)
    wrong_digits = typed[:10] + f"{(int(typed[10:]) + 1) % 10**8:08d}"
    assert codes.parse_wallet_code(wrong_digits, at=at_) == (None, resident_id)
    assert codes.parse_wallet_code(f"{resident_id}-123456", at=at_) == (None, None)


def test_till_accepts_the_scanned_token_and_the_typed_code(shop):
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    token = codes.wallet_token(resident.pk, at=clock.now().timestamp())
    quote = redemptions.quote_redemption(
        actor=world.cashier, merchant=world.shop, code=token, bill_fen=4500
    )
    assert quote.resident == resident and quote.payable_fen == 3500
    spaced = codes.group_code(_code(resident))
    assert _redeem(world, resident, code=spaced).face_fen == 1000


def test_wrong_codes_lock_the_residents_code_and_flag_it_for_review(shop):
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    good = _code(resident)
    wrong = good[:10] + f"{(int(good[10:]) + 1) % 10**8:08d}"
    for _ in range(5):
        with pytest.raises(DomainError) as exc:
            redemptions.quote_redemption(
                actor=world.cashier, merchant=world.shop, code=wrong, bill_fen=4500
            )
        assert exc.value.code == "voucher_code_invalid"
    with pytest.raises(DomainError) as exc:  # now even the right code
        _redeem(world, resident, code=good)
    assert exc.value.code == "voucher_code_locked" and exc.value.status_code == 429
    locked = VoucherEvent.objects.get(kind="wallet_code_locked")
    assert locked.resident == resident and locked.after["failures"] == 5
    assert Redemption.objects.count() == 0
    # When the lock's window has passed, the wallet works again but its
    # redemptions wait for an operator for a day.
    RateCounter.objects.filter(key__startswith="rl:code_fail:").delete()
    r = _redeem(world, resident, code=_code(resident))
    assert r.status == "held" and [f["code"] for f in r.flags] == ["code_guessed"]


def test_a_till_guessing_codes_is_stopped(shop, monkeypatch):
    monkeypatch.setenv("QUARTER_TILL_FAIL_LIMIT", "3")
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    for n in range(3):
        with pytest.raises(DomainError) as exc:
            redemptions.quote_redemption(
                actor=world.cashier,
                merchant=world.shop,
                code=f"{n:018d}",
                bill_fen=4500,
            )
        assert exc.value.code == "voucher_code_invalid"
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident)  # a right code from this till waits too
    assert exc.value.code == "rate_limited" and exc.value.status_code == 429


def test_one_code_is_quoted_at_most_ten_times_a_minute(shop):
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    code = _code(resident)
    for _ in range(10):
        redemptions.quote_redemption(
            actor=world.cashier, merchant=world.shop, code=code, bill_fen=4500
        )
    with pytest.raises(DomainError) as exc:
        redemptions.quote_redemption(
            actor=world.cashier, merchant=world.shop, code=code, bill_fen=4500
        )
    assert exc.value.code == "rate_limited"


def test_till_page_takes_the_long_token(shop, client):
    world, _campaign, round_ = shop
    resident = _claimed(world, round_)
    client.force_login(world.cashier)
    token = codes.wallet_token(resident.pk, at=clock.now().timestamp())
    page = client.post(
        f"/vouchers/till/{world.shop.pk}/quote", {"code": token, "bill": "45"}
    ).content.decode()
    assert "¥35.00" in page and 'id="confirm"' in page
    api = client.post(
        f"/api/vouchers/till/{world.shop.pk}/quote",
        {"code": _code(resident), "bill_fen": 4500},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["payable_fen"] == 3500


def test_pay_code_counters_count_and_peek_in_redis(db, redis_url):
    import redis

    from quarter.vouchers import ratelimit

    client = redis.Redis.from_url(redis_url)
    pairs, peek = [("till", "m1"), ("code", "r7")], [("till_fail", "m1")]
    assert ratelimit.count_all(pairs, peek=peek, redis_client=client) == [1, 1, 0]
    assert ratelimit.count_all(peek, redis_client=client) == [1]
    assert ratelimit.count_all(pairs, peek=peek, redis_client=client) == [2, 2, 1]
    assert all(0 < client.ttl(k) <= 601 for k in client.keys("rl:*"))
