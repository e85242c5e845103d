"""The till: best voucher, payable, idempotency, refunds, review, expiry, settlement."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.ledger import selectors as ledger
from quarter.places.models import MerchantStaff
from quarter.vouchers import accounts, codes
from quarter.vouchers.models import Campaign, Redemption, Round, Settlement, Voucher
from quarter.vouchers.services import redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at


@pytest.fixture
def setup(world, db_engine):
    campaign = world.campaign()
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_, 10)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    return world, campaign, round_, resident


def _code(resident):
    return codes.wallet_code(resident.pk, at=clock.now().timestamp())


def _redeem(world, resident, bill_fen, key="k1", shop=None, cashier=None):
    return redemptions.redeem_voucher(
        actor=cashier or world.cashier,
        merchant=shop or world.shop,
        code=_code(resident),
        bill_fen=bill_fen,
        key=key,
    )


def test_redeem_45_yuan_bill_uses_40_minus_10_and_pays_35(setup):
    world, campaign, round_, resident = setup
    quote = redemptions.quote_redemption(
        actor=world.cashier, merchant=world.shop, code=_code(resident), bill_fen=4500
    )
    assert (quote.face_fen, quote.payable_fen) == (1000, 3500)
    r = _redeem(world, resident, 4500)
    assert (r.status, r.face_fen, r.payable_fen, r.bill_fen) == (
        "accepted",
        1000,
        3500,
        4500,
    )
    assert r.voucher.threshold_fen == 4000 and r.voucher.status == "used"
    c = campaign.pk
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 1000
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 4000


def test_redeem_picks_largest_face_the_bill_reaches(setup):
    world, _c, _r, resident = setup
    assert _redeem(world, resident, 8000).face_fen == 2000
    shop2, cashier2 = world.merchant("第二家")
    world.pledge(_c, shop2, cashier2)
    assert (
        _redeem(world, resident, 2500, key="k2", shop=shop2, cashier=cashier2).face_fen
        == 500
    )


def test_redeem_retry_with_same_key_redeems_once(setup):
    world, _c, _r, resident = setup
    first = _redeem(world, resident, 4500, key="till-1")
    again = _redeem(world, resident, 4500, key="till-1")
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1
    assert Voucher.objects.filter(status="used").count() == 1
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, 5000, key="till-1")
    assert exc.value.code == "idempotency_key_reused"


def test_redeem_below_threshold_refused(setup):
    world, _c, _r, resident = setup
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, 1999)
    assert exc.value.code == "no_applicable_voucher"
    assert "满¥20.00" in exc.value.message
    assert Redemption.objects.count() == 0


def test_redeem_daily_cap_per_shop(setup):
    world, _c, _r, resident = setup
    _redeem(world, resident, 4500, key="a")
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, 4500, key="b")
    assert exc.value.code == "daily_cap_reached"


def test_redeem_old_or_forged_code_refused(setup):
    world, _c, _r, resident = setup
    old = codes.wallet_code(resident.pk, at=clock.now().timestamp() - 120)
    with pytest.raises(DomainError) as exc:
        redemptions.redeem_voucher(
            actor=world.cashier, merchant=world.shop, code=old, bill_fen=4500, key="x"
        )
    assert exc.value.code == "voucher_code_invalid"
    with pytest.raises(DomainError):
        redemptions.redeem_voucher(
            actor=world.cashier,
            merchant=world.shop,
            code=f"{resident.pk}-000000",
            bill_fen=4500,
            key="y",
        )
    assert Redemption.objects.count() == 0


def test_redeem_other_shop_staff_refused(setup):
    world, _c, _r, resident = setup
    other, other_cashier = world.merchant("别家店")
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, 4500, cashier=other_cashier)
    assert exc.value.code == "shop_not_owned"


def test_redeem_shop_without_pledge_refused(setup):
    world, _c, _r, resident = setup
    other, other_cashier = world.merchant("未承诺店")
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, 4500, shop=other, cashier=other_cashier)
    assert exc.value.code == "no_applicable_voucher"


@pytest.mark.parametrize("bill", [0, -100, 10.5])
def test_redeem_bad_bill_refused(setup, bill):
    world, _c, _r, resident = setup
    with pytest.raises(DomainError) as exc:
        _redeem(world, resident, bill)
    assert exc.value.code == "bill_invalid"


def test_full_refund_restores_voucher_partial_does_not(setup):
    world, campaign, round_, resident = setup
    r = _redeem(world, resident, 4500)  # the customer paid ¥35
    redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=1000)
    r.refresh_from_db()
    assert r.status == "accepted" and r.voucher.status == "used"
    c = campaign.pk
    # The partial refund takes back 1000/3500 of the ¥10 face value.
    assert r.refund_cut_fen == 285 and r.subsidy_fen == 715
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 715
    redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=2500)
    r.refresh_from_db()
    assert r.status == "refunded" and r.refunded_fen == r.payable_fen == 3500
    assert Voucher.objects.get(pk=r.voucher_id).status == "unused"
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 0
    assert ledger.get_balance(code=accounts.refund_cut(c, round_.pk).code) == 0
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 5000
    with pytest.raises(DomainError) as exc:
        redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=100)
    assert exc.value.code == "redemption_not_refundable"


def test_refund_above_what_the_customer_paid_refused(setup):
    world, _c, _r, resident = setup
    r = _redeem(world, resident, 4500)  # bill ¥45, voucher ¥10, paid ¥35
    for too_much in (4500, 3501):
        with pytest.raises(DomainError) as exc:
            redemptions.refund_redemption(
                actor=world.cashier, redemption=r, amount_fen=too_much
            )
        assert exc.value.code == "refund_amount_invalid"
        assert exc.value.field == "amount_fen" and "¥35.00" in exc.value.message
    r.refresh_from_db()
    assert r.refunded_fen == 0 and r.status == "accepted"
    redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=3000)
    with pytest.raises(DomainError) as exc:
        redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=501)
    assert exc.value.code == "refund_amount_invalid"
    r = redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=500)
    assert r.status == "refunded" and r.refunded_fen == 3500


def test_settlement_subtracts_the_partial_refund_cut(setup):
    world, campaign, round_, resident = setup
    r = _redeem(world, resident, 8000)  # ¥20 off, customer paid ¥60
    redemptions.refund_redemption(actor=world.cashier, redemption=r, amount_fen=1500)
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    (paid,) = settlement.settle_day(actor=world.issuer_user, business_date=day)
    # A quarter of what was paid came back, so a quarter of the face value is cut.
    assert paid.amount_fen == 1500
    c = campaign.pk
    assert ledger.get_balance(code=accounts.settled(c, world.shop.pk).code) == 1500
    assert ledger.get_balance(code=accounts.refund_cut(c, round_.pk).code) == 500
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 0
    from quarter.vouchers import selectors

    assert selectors.round_stats(round_=round_)["subsidy_fen"] == 1500


def test_expire_releases_unused_to_expired_account(setup):
    world, campaign, round_, resident = setup
    _redeem(world, resident, 4500)
    clock.freeze(round_.valid_until + dt.timedelta(seconds=1))
    assert redemptions.expire_vouchers() == 4
    assert redemptions.expire_vouchers() == 0
    c = campaign.pk
    assert ledger.get_balance(code=accounts.expired(c, round_.pk).code) == 4000
    assert ledger.get_balance(code=accounts.claimed(c, round_.pk).code) == 0


def test_staff_redeeming_own_voucher_is_held_then_reviewed(setup):
    world, campaign, round_, _resident = setup
    staff_resident = world.resident()
    MerchantStaff.objects.create(
        merchant=world.shop, user=staff_resident.user, role="staff"
    )
    claim_packet(actor=staff_resident.user, round_=Round.objects.get(pk=round_.pk))
    r = _redeem(world, staff_resident, 4500, key="self")
    assert r.status == "held"
    assert [f["code"] for f in r.flags] == ["staff_self"]
    with pytest.raises(DomainError) as exc:
        redemptions.review_redemption(
            actor=world.cashier, redemption=r, release=False, reason="店员自用"
        )
    assert exc.value.code == "not_operator"
    rejected = redemptions.review_redemption(
        actor=world.operator_user,
        redemption=r,
        release=False,
        reason="店员自用券,不予结算",
    )
    assert rejected.status == "rejected" and rejected.review_reason
    c = campaign.pk
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 0
    assert ledger.get_balance(code=accounts.rejected(c, round_.pk).code) == 1000


def test_settle_day_pays_accepted_skips_held_and_is_idempotent(setup):
    world, campaign, round_, resident = setup
    ok = _redeem(world, resident, 4500, key="a")
    other = world.resident()
    MerchantStaff.objects.create(merchant=world.shop, user=other.user, role="staff")
    claim_packet(actor=other.user, round_=Round.objects.get(pk=round_.pk))
    held = _redeem(world, other, 8000, key="b")
    assert held.status == "held"
    day = clock.local_now().date()
    with pytest.raises(DomainError) as exc:
        settlement.settle_day(actor=world.issuer_user, business_date=day)
    assert exc.value.code == "settlement_date_invalid"
    clock.freeze(clock.now() + dt.timedelta(days=1))
    done = settlement.settle_day(actor=world.issuer_user, business_date=day)
    assert len(done) == 1 and done[0].amount_fen == 1000 and done[0].count == 1
    assert settlement.settle_day(actor=world.issuer_user, business_date=day) == []
    ok.refresh_from_db()
    held.refresh_from_db()
    assert ok.status == "settled" and held.status == "held"
    c = campaign.pk
    assert ledger.get_balance(code=accounts.settled(c, world.shop.pk).code) == 1000
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 2000
    csv_bytes = settlement.statement_csv(done[0])
    assert (
        "消费券结算单".encode() in csv_bytes
        and b"45.00" in csv_bytes
        and b"10.00" in csv_bytes
    )
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(settlement.statement_xlsx(done[0]))).active
    assert ws["D3"].value == 45 and ws["H3"].value == 10
    with pytest.raises(DomainError) as exc:
        redemptions.refund_redemption(
            actor=world.cashier, redemption=ok, amount_fen=4500
        )
    assert exc.value.code == "redemption_not_refundable"
    assert Settlement.objects.count() == 1


def test_cofunded_campaign_pays_issuer_share_and_frees_merchant_share(world, db_engine):
    campaign = world.campaign(cofund_permille=300, max_per_merchant_per_day=2)
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_, 10)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    c = campaign.pk
    free_before = ledger.get_balance(code=accounts.unallocated(c).code)

    quote = redemptions.quote_redemption(
        actor=world.cashier, merchant=world.shop, code=_code(resident), bill_fen=4500
    )
    assert (quote.face_fen, quote.cofund_fen, quote.payable_fen) == (1000, 300, 3500)
    r = _redeem(world, resident, 4500)
    assert (r.face_fen, r.cofund_fen, r.subsidy_fen, r.payable_fen) == (
        1000,
        300,
        700,
        3500,
    )
    # Until settlement the whole face value is owed, so a full refund restores it.
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 1000

    refunded = _redeem(world, resident, 8000, key="k2")
    redemptions.refund_redemption(
        actor=world.cashier, redemption=refunded, amount_fen=6000
    )
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 1000

    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    (paid,) = settlement.settle_day(actor=world.issuer_user, business_date=day)
    assert (paid.amount_fen, paid.cofund_fen, paid.count) == (700, 300, 1)
    assert ledger.get_balance(code=accounts.settled(c, world.shop.pk).code) == 700
    assert ledger.get_balance(code=accounts.receivable(c, world.shop.pk).code) == 0
    assert ledger.get_balance(code=accounts.unallocated(c).code) == free_before + 300
    assert sum(ledger.get_bucket_balances(bucket=campaign.bucket).values()) == (
        campaign.budget_fen
    )

    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(settlement.statement_xlsx(paid))).active
    assert [c.value for c in ws[2]][4:8] == [
        "券面值(元)",
        "商户配资(元)",
        "顾客实付(元)",
        "结算金额(元)",
    ]
    assert (ws["E3"].value, ws["F3"].value, ws["H3"].value) == (10, 3, 7)


def test_campaign_cofunding_share_must_be_within_face(world, db_engine):
    with pytest.raises(DomainError) as exc:
        world.campaign(cofund_permille=1001)
    assert exc.value.field == "cofund_permille"


def test_street_area_covers_its_communities_for_claims_and_tills(world, db_engine):
    from quarter.places.models import Community, Compound, StreetOffice

    def community_in(street, name):
        c = Community.objects.create(
            name=name,
            slug=f"c-{street.pk}-{name}",
            street_office=street,
            area_km2="0.4",
            center_lat=30.26,
            center_lng=120.17,
        )
        compound = Compound.objects.create(
            community=c,
            name=f"{name}小区",
            lat=30.26,
            lng=120.17,
            households=50,
            population=120,
        )
        return c, compound

    other_street = StreetOffice.objects.create(name="清波街道", district=world.district)
    neighbour, neighbour_compound = community_in(world.street, "邻社区")
    _outside, outside_compound = community_in(other_street, "外社区")
    campaign = world.campaign(street_office_ids=[world.street.pk])
    assert campaign.area_community_ids() == {world.community.pk, neighbour.pk}
    round_ = world.round(campaign, packets=5, preset="hz2022")
    world.pledge(campaign)
    inside = world.resident(compound=neighbour_compound)
    outside = world.resident(compound=outside_compound)
    at(round_, 10)
    assert claim_packet(actor=inside.user, round_=Round.objects.get(pk=round_.pk)).ok
    with pytest.raises(DomainError) as exc:
        claim_packet(actor=outside.user, round_=Round.objects.get(pk=round_.pk))
    assert exc.value.code == "not_in_campaign_area"
    # A pledged shop inside the street takes the voucher; one outside does not.
    assert _redeem(world, inside, 4500).face_fen == 1000
    far_shop, far_cashier = world.merchant("外街道小店", community=_outside)
    world.pledge(campaign, far_shop, far_cashier)
    with pytest.raises(DomainError) as exc:
        _redeem(world, inside, 4500, key="far", shop=far_shop, cashier=far_cashier)
    assert exc.value.code == "no_applicable_voucher"


def test_campaign_street_outside_district_refused(world, db_engine):
    from quarter.places.models import District, StreetOffice

    elsewhere = District.objects.create(city="杭州市", name="西湖区X")
    street = StreetOffice.objects.create(name="北山街道", district=elsewhere)
    with pytest.raises(DomainError) as exc:
        world.campaign(street_office_ids=[street.pk])
    assert exc.value.field == "street_office_ids"
    assert not Campaign.objects.exists()
