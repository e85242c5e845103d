"""The one till: card price, the best card + voucher, one visit per payment, guards."""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.card import payments, services, tokens
from quarter.card.models import CardEvent, CardPin, Visit
from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.ledger.models import Transaction
from quarter.places.models import Admission
from quarter.vouchers import codes
from quarter.vouchers.models import Redemption, Round, Voucher
from quarter.vouchers.services import redemptions
from quarter.vouchers.services.campaigns import CouponSpec
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at


@pytest.fixture
def shop(world, db_engine):
    """A 5.5折 shop that also takes vouchers of a 满40减10 campaign."""
    world.shop.card_discount_permille = 550
    world.shop.save()
    campaign = world.campaign()
    round_ = world.round(
        campaign, packets=20, coupons=[CouponSpec(face_fen=1000, threshold_fen=4000)]
    )
    world.pledge(campaign)
    at(round_, 10)
    yield world, campaign, round_
    clock.freeze(None)


def _qr(resident, *, ago: float = 0) -> str:
    return tokens.issue(
        resident_id=resident.pk,
        household_id=resident.household_id,
        at=clock.now().timestamp() - ago,
    )


def _quote(world, code, bill_fen=6000, pin=""):
    return payments.quote_payment(
        actor=world.cashier, merchant=world.shop, code=code, bill_fen=bill_fen, pin=pin
    )


def _pay(world, code, bill_fen=6000, key="k1", pin="", expected=None):
    return payments.confirm_payment(
        actor=world.cashier,
        merchant=world.shop,
        code=code,
        bill_fen=bill_fen,
        key=key,
        pin=pin,
        expected_payable_fen=expected,
    )


def _with_voucher(world, round_):
    resident = world.resident()
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    return resident


def test_card_only_60_at_5_5_zhe_pays_33_and_records_one_visit(shop):
    world, _campaign, _round = shop
    resident = world.resident()
    books = Transaction.objects.count()
    q = _quote(world, _qr(resident))
    assert (q.card_price_fen, q.card_discount_fen, q.payable_fen) == (3300, 2700, 3300)
    assert q.voucher is None and q.holder.via == "card_qr"
    visit = _pay(world, _qr(resident), expected=3300)
    assert (visit.method, visit.bill_fen, visit.card_discount_fen) == (
        "card",
        6000,
        2700,
    )
    assert (visit.payable_fen, visit.resident, visit.household) == (
        3300,
        resident,
        resident.household,
    )
    assert visit.compound == world.compound and visit.staff == world.cashier
    # A retry with the same key is the same visit; another bill is refused.
    assert _pay(world, _qr(resident), expected=3300) == visit
    with pytest.raises(DomainError) as exc:
        _pay(world, _qr(resident), bill_fen=6100)
    assert exc.value.code == "idempotency_key_reused"
    assert Visit.objects.count() == 1
    assert Transaction.objects.count() == books  # the card price moves no money


@pytest.mark.parametrize(
    ("rule", "bill", "payable", "uses_voucher", "base"),
    [
        ("after_card", 6000, 3300, False, None),  # ¥33 < 满40: card alone
        ("after_card", 8000, 3400, True, 4400),  # ¥44 ≥ 满40: ¥34
        ("on_bill", 6000, 2300, True, 6000),  # ¥60 ≥ 满40: ¥33 − ¥10
        ("exclusive", 6000, 3300, False, None),  # card ¥33 beats voucher ¥50
    ],
)
def test_card_and_voucher_follow_the_campaigns_stacking_rule(
    shop, rule, bill, payable, uses_voucher, base
):
    world, campaign, round_ = shop
    campaign.card_stacking = rule
    campaign.save()
    resident = _with_voucher(world, round_)
    q = _quote(world, _qr(resident), bill_fen=bill)
    assert q.payable_fen == payable and (q.voucher is not None) == uses_voucher
    visit = _pay(world, _qr(resident), bill_fen=bill, expected=payable)
    assert visit.payable_fen == payable and visit.bill_fen == bill
    if uses_voucher:
        r = visit.redemption
        assert visit.method == "card_voucher" and visit.voucher_face_fen == 1000
        assert (r.bill_fen, r.face_fen, r.payable_fen) == (base, 1000, payable)
        assert Voucher.objects.get(pk=r.voucher_id).status == "used"
    else:
        assert visit.method == "card" and visit.redemption is None
        assert not Voucher.objects.filter(resident=resident, status="used").exists()


def test_voucher_only_redemption_at_the_till_records_its_visit(shop):
    world, _campaign, round_ = shop
    world.shop.card_discount_permille = None
    world.shop.save()
    resident = _with_voucher(world, round_)
    code = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    r = redemptions.redeem_voucher(
        actor=world.cashier, merchant=world.shop, code=code, bill_fen=4500, key="v1"
    )
    visit = Visit.objects.get(redemption=r)
    assert (
        visit.method,
        visit.bill_fen,
        visit.voucher_face_fen,
        visit.payable_fen,
    ) == (
        "voucher",
        4500,
        1000,
        3500,
    )
    # The same through the one till: the wallet code, no card rate here.
    other = _with_voucher(world, round_)
    code = codes.wallet_code(other.pk, at=clock.now().timestamp())
    v = _pay(world, code, bill_fen=4500, key="v2", expected=3500)
    assert v.method == "voucher" and v.redemption.face_fen == 1000


def test_wallet_code_of_a_card_holder_gets_the_card_price(shop):
    world, _campaign, _round = shop
    resident = world.resident()
    code = codes.wallet_code(resident.pk, at=clock.now().timestamp())
    assert _quote(world, codes.group_code(code)).payable_fen == 3300


def test_expired_qr_is_refused_with_a_clear_message(shop):
    world, _campaign, _round = shop
    resident = world.resident()
    shown = _qr(resident)
    clock.freeze(clock.now() + dt.timedelta(seconds=61))  # a screenshot, a minute on
    with pytest.raises(DomainError) as exc:
        _quote(world, shown)
    assert exc.value.code == "card_code_expired" and "过期" in exc.value.message
    assert _quote(world, _qr(resident)).payable_fen == 3300  # a fresh one works


def test_tampered_qr_is_refused_and_writes_nothing(shop):
    world, _campaign, _round = shop
    resident, other = world.resident(), world.resident()
    good = _qr(resident)
    forged = tokens.issue(
        resident_id=other.pk,
        household_id=other.household_id,
        at=clock.now().timestamp(),
    )
    spliced = forged[:20] + good[20:]
    for bad in (spliced, good[:-2] + ("AA" if good[-2:] != "AA" else "BB")):
        with pytest.raises(DomainError) as exc:
            _pay(world, bad)
        assert exc.value.code == "card_code_invalid" and exc.value.field == "code"
    # A resident who moved out: the token's household is no longer theirs.
    resident.household = other.household
    resident.save()
    with pytest.raises(DomainError) as exc:
        _quote(world, good)
    assert exc.value.code == "card_code_invalid"
    assert Visit.objects.count() == 0


def test_household_card_with_pin_pays_the_card_price(shop):
    world, _campaign, _round = shop
    elder = world.resident()
    household = elder.household
    services.set_card_pin(actor=world.operator_user, household=household, pin="739154")
    assert CardPin.objects.get(household=household).pin_hash != "739154"
    with pytest.raises(DomainError) as exc:
        _quote(world, household.card_number)
    assert exc.value.code == "card_pin_required"
    q = _quote(world, household.card_number.lower(), pin="739154")
    assert q.payable_fen == 3300 and q.holder.via == "household_card"
    visit = _pay(world, household.card_number, pin="739154", expected=3300)
    assert visit.household == household and visit.resident is None


def test_wrong_pins_lock_the_household_card(shop):
    world, _campaign, _round = shop
    household = world.resident().household
    services.set_card_pin(actor=world.operator_user, household=household, pin="739154")
    for n in range(5):
        with pytest.raises(DomainError) as exc:
            _quote(world, household.card_number, pin="000001")
        assert exc.value.code == "card_pin_wrong"
        assert (f"还可再试{4 - n}次" in exc.value.message) is (n < 4)
    with pytest.raises(DomainError) as exc:  # now even the right PIN
        _quote(world, household.card_number, pin="739154")
    assert exc.value.code == "voucher_code_locked" and exc.value.status_code == 429
    assert (
        CardEvent.objects.filter(household=household, kind="card_locked").count() == 1
    )


def test_wrong_pins_count_against_the_tills_own_limit(shop, monkeypatch):
    """A till guessing PINs on many cards is stopped like one guessing pay codes."""
    monkeypatch.setenv("QUARTER_TILL_FAIL_LIMIT", "3")
    world, _campaign, round_ = shop
    for _ in range(3):
        h = world.resident().household
        services.set_card_pin(actor=world.operator_user, household=h, pin="739154")
        with pytest.raises(DomainError):
            _quote(world, h.card_number, pin="111112")
    resident = _with_voucher(world, round_)
    with pytest.raises(DomainError) as exc:  # a right wallet code waits too
        _quote(world, codes.wallet_code(resident.pk, at=clock.now().timestamp()))
    assert exc.value.code == "rate_limited" and exc.value.status_code == 429


def test_unknown_card_number_and_unset_pin_are_refused(shop):
    world, _campaign, _round = shop
    with pytest.raises(DomainError) as exc:
        _quote(world, "DJ0000000000", pin="739154")
    assert exc.value.code == "card_pin_wrong"
    household = world.resident().household
    with pytest.raises(DomainError) as exc:
        _quote(world, household.card_number, pin="739154")
    assert exc.value.code == "card_pin_not_set"


def test_confirm_refuses_when_the_quote_changed(shop):
    world, campaign, round_ = shop
    campaign.card_stacking = "on_bill"
    campaign.save()
    resident = _with_voucher(world, round_)
    q = _quote(world, _qr(resident))
    assert q.payable_fen == 2300
    with pytest.raises(DomainError) as exc:
        _pay(world, _qr(resident), expected=3300)
    assert exc.value.code == "quote_changed" and exc.value.status_code == 409
    assert Visit.objects.count() == 0 and Redemption.objects.count() == 0


def test_a_removed_shop_gives_no_card_price(shop):
    world, _campaign, _round = shop
    world.shop.admission = Admission.REMOVED
    world.shop.save()
    household = world.resident().household
    services.set_card_pin(actor=world.operator_user, household=household, pin="739154")
    with pytest.raises(DomainError) as exc:
        _quote(world, household.card_number, pin="739154")
    assert exc.value.code == "merchant_not_eligible"


def test_bad_bill_is_refused_before_reading_the_code(shop):
    world, _campaign, _round = shop
    resident = world.resident()
    for bill in (0, -1, 10_000_001, 12.5, "60"):
        with pytest.raises(DomainError) as exc:
            _quote(world, _qr(resident), bill_fen=bill)
        assert exc.value.code == "bill_invalid" and exc.value.field == "bill_fen"


def test_only_the_shops_staff_use_its_till(shop):
    world, _campaign, _round = shop
    resident = world.resident()
    other_shop, other_cashier = world.merchant("别家店")
    with pytest.raises(DomainError) as exc:
        payments.quote_payment(
            actor=other_cashier, merchant=world.shop, code=_qr(resident), bill_fen=6000
        )
    assert exc.value.code == "shop_not_owned" and exc.value.status_code == 403


def test_refunds_follow_the_visit_and_the_voucher_rule(shop):
    world, campaign, round_ = shop
    campaign.card_stacking = "on_bill"
    campaign.save()
    card_only = _pay(world, _qr(world.resident()), key="c1", expected=3300)
    v = payments.refund_payment(actor=world.cashier, visit=card_only, amount_fen=1000)
    assert (v.status, v.refunded_fen) == ("part_refund", 1000)
    with pytest.raises(DomainError) as exc:
        payments.refund_payment(actor=world.cashier, visit=v, amount_fen=2301)
    assert exc.value.code == "refund_amount_invalid"
    resident = _with_voucher(world, round_)
    both = _pay(world, _qr(resident), key="c2", expected=2300)
    v = payments.refund_payment(actor=world.cashier, visit=both, amount_fen=2300)
    assert (v.status, v.refunded_fen) == ("refunded", 2300)
    r = Redemption.objects.get(pk=both.redemption_id)
    assert r.status == "refunded"
    assert Voucher.objects.get(pk=r.voucher_id).status == "unused"  # restored


def test_set_card_pin_is_for_the_household_and_its_operator(shop):
    world, _campaign, _round = shop
    resident, stranger = world.resident(), world.resident()
    household = resident.household
    services.set_card_pin(actor=resident.user, household=household, pin="739154")
    services.set_card_pin(actor=world.operator_user, household=household, pin="520813")
    kinds = list(
        CardEvent.objects.filter(household=household).values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["pin_reset", "pin_set"]
    with pytest.raises(DomainError) as exc:
        services.set_card_pin(actor=stranger.user, household=household, pin="739154")
    assert exc.value.status_code == 403
    for weak in ("111111", "123456", "654321", "12345", "abcdef"):
        with pytest.raises(DomainError) as exc:
            services.set_card_pin(actor=resident.user, household=household, pin=weak)
        assert exc.value.code == "card_pin_invalid" and exc.value.field == "pin"
    assert services.pin_matches(household, "520813") is True


def test_a_removed_shop_takes_no_card(shop):
    """After 清退 (e.g. the star evaluation) the till refuses the card too."""
    world, _campaign, _round = shop
    resident = world.resident()
    world.shop.admission = Admission.REMOVED
    world.shop.save()
    for attempt in (_quote, _pay):
        with pytest.raises(DomainError) as exc:
            attempt(world, _qr(resident))
        assert exc.value.code == "merchant_not_eligible"
    assert not Visit.objects.filter(merchant=world.shop).exists()
