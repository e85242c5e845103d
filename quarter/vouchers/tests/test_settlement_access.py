"""Settlement is scoped in its service: issuers settle, pay and read their district."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError
from quarter.vouchers import codes
from quarter.vouchers.models import Redemption, Round, Settlement
from quarter.vouchers.services import redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World, at


def _one_redemption(world: World) -> Redemption:
    campaign = world.campaign()
    round_ = world.round(campaign, packets=2, preset="hz2022")
    world.pledge(campaign)
    resident = world.resident()
    at(round_, 10)
    claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))
    return redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
        bill_fen=4500,
        key=f"k{world.shop.pk}",
    )


@pytest.fixture
def two_districts(db_engine, db):
    east, west = World(district="上城区"), World(district="西湖区")
    r_east, r_west = _one_redemption(east), _one_redemption(west)
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    return east, west, r_east, r_west, day


def test_issuer_settles_its_own_district_only(two_districts):
    east, west, r_east, r_west, day = two_districts
    done = settlement.settle_day(actor=east.issuer_user, business_date=day)
    assert [s.merchant_id for s in done] == [east.shop.pk]
    r_east.refresh_from_db()
    r_west.refresh_from_db()
    assert r_east.status == "settled" and r_west.status == "accepted"
    (west_done,) = settlement.settle_day(actor=SYSTEM, business_date=day)
    assert west_done.merchant_id == west.shop.pk


def test_settlement_refused_to_anyone_but_an_issuer(two_districts):
    east, _west, _r, _r2, day = two_districts
    for actor in (east.cashier, east.operator_user, None):
        with pytest.raises(DomainError) as exc:
            settlement.settle_day(actor=actor, business_date=day)
        assert exc.value.code == "not_issuer"
    assert not Settlement.objects.exists()


def test_statement_and_payment_decided_in_the_service(two_districts):
    east, west, _r, _r2, day = two_districts
    (s,) = settlement.settle_day(actor=east.issuer_user, business_date=day)
    for reader in (east.cashier, east.operator_user, east.issuer_user, SYSTEM):
        statement, body = settlement.get_statement(
            actor=reader, settlement_id=s.pk, fmt="csv"
        )
        assert statement == s and b"45.00" in body
    for outsider in (west.cashier, west.operator_user, west.issuer_user):
        with pytest.raises(DomainError) as exc:
            settlement.get_statement(actor=outsider, settlement_id=s.pk, fmt="csv")
        assert exc.value.status_code == 403
    with pytest.raises(DomainError) as exc:
        settlement.get_statement(actor=east.cashier, settlement_id=s.pk, fmt="exe")
    assert exc.value.status_code == 404
    with pytest.raises(DomainError) as exc:
        settlement.mark_settlement_paid(
            actor=west.issuer_user, settlement=s, payment_ref="WEST-1"
        )
    assert exc.value.code == "not_issuer"
    with pytest.raises(DomainError) as exc:
        settlement.mark_settlement_paid(
            actor=east.issuer_user, settlement=s, payment_ref=" "
        )
    assert exc.value.field == "payment_ref"
    s.refresh_from_db()
    assert s.status == "pending"


def test_pages_follow_the_service(two_districts, client):
    east, west, _r, _r2, day = two_districts
    client.force_login(west.issuer_user)
    client.post("/vouchers/issuer/settle", {"business_date": day.isoformat()})
    assert Settlement.objects.get().merchant_id == west.shop.pk  # not east's
    client.force_login(east.issuer_user)
    client.post("/vouchers/issuer/settle", {"business_date": day.isoformat()})
    east_s = Settlement.objects.get(merchant=east.shop)
    assert client.get(f"/vouchers/settlements/{east_s.pk}.xlsx").content[:2] == b"PK"
    client.force_login(west.issuer_user)
    assert client.get(f"/vouchers/settlements/{east_s.pk}.csv").status_code == 403
    client.post(f"/vouchers/settlements/{east_s.pk}/paid", {"payment_ref": "W-1"})
    east_s.refresh_from_db()
    assert east_s.status == "pending"
    client.force_login(east.issuer_user)
    client.post(f"/vouchers/settlements/{east_s.pk}/paid", {"payment_ref": "E-1"})
    east_s.refresh_from_db()
    assert east_s.status == "paid" and east_s.payment_ref == "E-1"
    page = client.get("/vouchers/issuer/dashboard/").content.decode()
    assert f'id="paid-{east_s.pk}"' in page


def test_statement_download_is_written_to_the_access_log(two_districts):
    """The statement lists residents: each download leaves who and when."""
    from quarter.people.models import AccessLog

    east, _west, _r, _r2, day = two_districts
    (s,) = settlement.settle_day(actor=east.issuer_user, business_date=day)
    settlement.get_statement(actor=east.operator_user, settlement_id=s.pk, fmt="xlsx")
    log = AccessLog.objects.get()
    assert log.actor == east.operator_user and log.action == "export"
    assert east.shop.name in log.subject
