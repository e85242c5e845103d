"""Settlement statements: formula-like names stay text, file names are fixed."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from quarter.core import clock
from quarter.vouchers import codes
from quarter.vouchers.models import Round, Settlement
from quarter.vouchers.services import claims, redemptions, settlement
from quarter.vouchers.tests.factories import at

SHOP = '=HYPERLINK("http://evil.example","结算")'
ROUND = "+1+cmd|' /C calc'!A0"


@pytest.fixture
def statement(world, db_engine, client):
    world.shop.name = SHOP
    world.shop.save()
    campaign = world.campaign()
    round_ = world.round(campaign, packets=5, preset="hz2022")
    Round.objects.filter(pk=round_.pk).update(name=ROUND)
    world.pledge(campaign)
    resident = world.resident()
    at(round_)
    claims.claim_packet(actor=resident.user, round_=round_)
    redemptions.redeem_voucher(
        actor=world.cashier,
        merchant=world.shop,
        bill_fen=4500,
        key="a",
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
    )
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    settlement.settle_day(actor=world.issuer_user, business_date=day)
    client.force_login(world.cashier)
    return Settlement.objects.get(), client


def test_statement_csv_neutralises_shop_and_round_names(statement):
    s, client = statement
    resp = client.get(f"/vouchers/settlements/{s.pk}.csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "'" + SHOP + " 消费券结算单"
    assert rows[2][-1] == "'" + ROUND
    assert rows[2][3] == "45.00"
    day = f"{s.business_date:%Y%m%d}"
    header = resp["Content-Disposition"]
    assert header.startswith(
        f'attachment; filename="settlement-{s.merchant_id}-{day}.csv"; '
        "filename*=UTF-8''"
    )
    assert header.isascii() and header.endswith(f"{day}.csv")


def test_statement_xlsx_keeps_names_as_text(statement):
    s, client = statement
    resp = client.get(f"/vouchers/settlements/{s.pk}.xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws["A1"].value == "'" + SHOP + " 消费券结算单"
    assert ws["I3"].value == "'" + ROUND and ws["I3"].data_type == "s"
    assert ws["D3"].value == 45
    assert resp["Content-Disposition"].split(";")[1].strip().endswith('.xlsx"')


def test_statement_download_refuses_other_extensions(statement):
    s, client = statement
    for fmt in ("html", "svg", "csv.html", "exe"):
        resp = client.get(f"/vouchers/settlements/{s.pk}.{fmt}")
        assert resp.status_code == 404, fmt
        assert "Content-Disposition" not in resp
