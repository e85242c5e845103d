"""The visit log's figures: months in Shanghai, refunds, compounds, who sees what."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.http import QueryDict
from openpyxl import load_workbook

from quarter.card import log, visits
from quarter.card.tests.log_factories import local, visit
from quarter.core.errors import DomainError, PermissionDenied
from quarter.people.models import Household
from quarter.places.models import Compound
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db

NOV = log.MonthRange(dt.date(2026, 11, 1), dt.date(2026, 11, 1))
OCT_NOV = log.MonthRange(dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def _q(text: str) -> QueryDict:
    return QueryDict(text)


# --- months ---


def test_get_community_log_puts_visits_in_their_shanghai_month():
    """23:30 on 31 October and 00:30 on 1 November (both 31 Oct in UTC) split."""
    world = World()
    resident = world.resident()
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 10, 31, 23, 30),
        bill_fen=1000,
        resident=resident,
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 1, 0, 30),
        bill_fen=2000,
        resident=resident,
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 12, 1, 0, 0),
        bill_fen=4000,
        resident=resident,
    )

    result = log.get_community_log(
        world.operator_user, community=world.community, months=OCT_NOV
    )

    assert [(r.month_label, r.visits, r.bill_fen) for r in result.rows] == [
        ("2026年10月", 1, 1000),
        ("2026年11月", 1, 2000),
    ]
    assert result.total.visits == 2 and result.total.bill_fen == 3000


def test_get_community_log_counts_per_shop_residents_households_and_discounts():
    world = World()
    other_shop, other_cashier = world.merchant("阿明理发店")
    ann, bob = world.resident(), world.resident()
    printed = Household.objects.create(compound=world.compound, address="纸卡1幢")
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 3),
        bill_fen=6000,
        card_fen=2700,
        resident=ann,
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 9),
        bill_fen=5000,
        voucher_fen=1000,
        resident=ann,
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 12),
        bill_fen=3000,
        card_fen=300,
        resident=bob,
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 13),
        bill_fen=2000,
        card_fen=200,
        household=printed,
    )
    visit(
        other_shop,
        other_cashier,
        at=local(2026, 11, 14),
        bill_fen=4000,
        card_fen=400,
        resident=bob,
    )

    rows = {
        r.merchant_name: r
        for r in log.get_community_log(
            world.operator_user, community=world.community, months=NOV
        ).rows
    }

    breakfast = rows["东河早餐店"]
    assert (breakfast.visits, breakfast.residents, breakfast.households) == (4, 2, 3)
    assert breakfast.bill_fen == 16000
    assert breakfast.card_discount_fen == 3200
    assert breakfast.voucher_face_fen == 1000
    assert breakfast.discount_fen == 4200
    assert breakfast.paid_fen == 11800
    assert (rows["阿明理发店"].visits, rows["阿明理发店"].paid_fen) == (1, 3600)


def test_get_community_log_filters_one_shop_of_the_community_only():
    world, elsewhere = World(), World()
    resident = world.resident()
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 3),
        bill_fen=1000,
        resident=resident,
    )
    visit(
        elsewhere.shop,
        elsewhere.cashier,
        at=local(2026, 11, 3),
        bill_fen=9900,
        resident=elsewhere.resident(),
    )

    mine = log.get_community_log(
        world.operator_user,
        community=world.community,
        months=NOV,
        merchant_id=world.shop.pk,
    )
    assert [r.merchant_id for r in mine.rows] == [world.shop.pk]
    assert mine.total.bill_fen == 1000  # B's shop never reaches A's log

    with pytest.raises(DomainError) as refused:
        log.get_community_log(
            world.operator_user,
            community=world.community,
            months=NOV,
            merchant_id=elsewhere.shop.pk,
        )
    assert refused.value.status_code == 400 and refused.value.field == "merchant"


def test_get_community_log_refuses_another_communitys_operator():
    world, other = World(), World()
    with pytest.raises(PermissionDenied):
        log.get_community_log(
            other.operator_user, community=world.community, months=NOV
        )
    with pytest.raises(PermissionDenied):
        log.get_community_log(world.cashier, community=world.community, months=NOV)


# --- refunds ---


def test_get_community_log_leaves_out_wholly_refunded_and_nets_partial_refunds():
    """Full refund: counts for nothing (shown apart). Partial: still a visit,
    the refund off bill and paid, the discount in full."""
    world = World()
    ann, bob = world.resident(), world.resident()
    kept = visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 3),
        bill_fen=6000,
        card_fen=2700,
        resident=ann,
    )
    partly = visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 4),
        bill_fen=5000,
        card_fen=500,
        resident=ann,
    )
    wholly = visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 5),
        bill_fen=8000,
        card_fen=800,
        resident=bob,
    )
    visits.refund_visit(partly, refunded_fen=1500)
    visits.refund_visit(wholly)

    (row,) = log.get_community_log(
        world.operator_user, community=world.community, months=NOV
    ).rows

    assert row.visits == 2 and row.refunded_visits == 1
    assert row.residents == 1  # bob's only visit was refunded in full
    assert row.bill_fen == 6000 + (5000 - 1500)
    assert row.discount_fen == 2700 + 500
    assert row.paid_fen == kept.payable_fen + (partly.payable_fen - 1500)
    assert row.bill_fen - row.discount_fen == row.paid_fen


def test_get_community_log_month_with_only_refunded_visits_shows_zero_amounts():
    world = World()
    wholly = visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 5),
        bill_fen=8000,
        card_fen=800,
        resident=world.resident(),
    )
    visits.refund_visit(wholly)

    (row,) = log.get_community_log(
        world.operator_user, community=world.community, months=NOV
    ).rows

    assert (row.visits, row.bill_fen, row.paid_fen, row.refunded_visits) == (0, 0, 0, 1)


# --- compounds ---


def test_get_community_log_shows_which_compounds_customers_come_from():
    world = World()
    river = Compound.objects.create(
        community=world.community,
        name="江景苑",
        lat=30.26,
        lng=120.17,
        households=10,
        population=30,
    )
    here, there = world.resident(), world.resident(compound=river)
    for day in (3, 4):
        visit(
            world.shop,
            world.cashier,
            at=local(2026, 11, day),
            bill_fen=1000,
            resident=here,
        )
    visit(
        world.shop, world.cashier, at=local(2026, 11, 5), bill_fen=1000, resident=there
    )
    refunded = visit(
        world.shop, world.cashier, at=local(2026, 11, 6), bill_fen=1000, resident=there
    )
    visits.refund_visit(refunded)

    compounds = log.get_community_log(
        world.operator_user, community=world.community, months=NOV
    ).compounds

    assert [(c.compound_name, c.visits, c.share) for c in compounds] == [
        (f"{world.compound.name}({world.community.name})", 2, "66.7%"),
        (f"江景苑({world.community.name})", 1, "33.3%"),
    ]


# --- a shop's own log, a resident's history ---


def test_get_shop_log_shows_only_the_shop_and_refuses_other_staff():
    world = World()
    barber, barber_cashier = world.merchant("阿明理发店")
    resident = world.resident()
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 3),
        bill_fen=1000,
        resident=resident,
    )
    visit(
        barber, barber_cashier, at=local(2026, 11, 3), bill_fen=7000, resident=resident
    )

    own = log.get_shop_log(barber_cashier, merchant=barber, months=NOV)
    assert [r.merchant_name for r in own.rows] == ["阿明理发店"]
    assert own.total.bill_fen == 7000

    for stranger in (world.cashier, world.operator_user, resident.user):
        with pytest.raises(PermissionDenied):
            log.get_shop_log(stranger, merchant=barber, months=NOV)


def test_list_my_visits_shows_own_and_printed_household_card_visits_only():
    world = World()
    me = world.resident()
    spouse = world.resident(household=me.household)
    neighbour = world.resident()
    mine = visit(
        world.shop, world.cashier, at=local(2026, 11, 3), bill_fen=1000, resident=me
    )
    printed = visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 4),
        bill_fen=2000,
        household=me.household,
    )
    visit(
        world.shop, world.cashier, at=local(2026, 11, 5), bill_fen=3000, resident=spouse
    )
    visit(
        world.shop,
        world.cashier,
        at=local(2026, 11, 6),
        bill_fen=4000,
        resident=neighbour,
    )

    assert list(log.list_my_visits(me.user)) == [printed, mine]
    with pytest.raises(PermissionDenied):
        log.list_my_visits(world.cashier)


# --- the database does the work ---


def test_get_community_log_query_count_does_not_grow_with_visits(
    django_assert_max_num_queries,
):
    world = World()
    residents = [world.resident() for _ in range(3)]
    shops = [world.merchant(f"店{i}") for i in range(3)]
    for i in range(30):
        shop, cashier = shops[i % 3]
        visit(
            shop,
            cashier,
            at=local(2026, 10 + i % 2, 1 + i % 28),
            bill_fen=1000,
            card_fen=100,
            resident=residents[i % 3],
        )
    with django_assert_max_num_queries(6):
        result = log.get_community_log(
            world.operator_user, community=world.community, months=OCT_NOV
        )
    assert result.total.visits == 30 and len(result.rows) == 6


# --- query strings ---


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13", "from"),
        ("to=2026-00", "to"),
        ("from=2026-1-5", "from"),
        ("from=nov", "from"),
        ("to=1999-12", "to"),
        ("from=2026-11&to=2026-09", "from"),
        ("from=2020-01&to=2026-11", "to"),
    ],
)
def test_month_range_from_query_refuses_bad_months_with_the_field(query, field):
    with pytest.raises(DomainError) as refused:
        log.month_range_from_query(_q(query), today=dt.date(2026, 11, 20))
    assert refused.value.status_code == 400
    assert refused.value.field == field


def test_month_range_from_query_defaults_to_six_months_to_this_month():
    months = log.month_range_from_query(_q(""), today=dt.date(2026, 2, 20))
    assert (months.first, months.last) == (dt.date(2025, 9, 1), dt.date(2026, 2, 1))
    assert months.label == "2025年9月–2026年2月"
    one = log.month_range_from_query(_q("from=２０２６-１１&to=2026-11"))
    assert one.months == [dt.date(2026, 11, 1)]


@pytest.mark.parametrize("value", ["-3", "0", "abc", "9" * 30, "1.5"])
def test_merchant_id_from_query_refuses_what_is_not_a_positive_id(value):
    with pytest.raises(DomainError) as refused:
        log.merchant_id_from_query(_q(f"merchant={value}"))
    assert refused.value.field == "merchant"


# --- chart and files ---


def test_chart_data_keeps_the_busiest_shops_and_groups_the_rest():
    world = World()
    resident = world.resident()
    for i in range(10):
        shop, cashier = world.merchant(f"店{i:02d}")
        for _ in range(i + 1):
            visit(
                shop, cashier, at=local(2026, 11, 2), bill_fen=1000, resident=resident
            )
    chart = log.get_community_log(
        world.operator_user, community=world.community, months=OCT_NOV
    ).chart()
    assert chart["months"] == ["2026年10月", "2026年11月"]
    labels = [d["label"] for d in chart["visits"]]
    assert labels[0] == "店09" and labels[-1] == "其他" and len(labels) == 9
    assert chart["visits"][-1]["data"] == [0, 1 + 2]
    assert chart["bill"] == [0, 550.0]


def test_log_csv_and_xlsx_print_yuan_months_and_neutralise_formulas():
    world = World()
    shop, cashier = world.merchant('=HYPERLINK("http://x")')
    visit(
        shop,
        cashier,
        at=local(2026, 11, 3),
        bill_fen=6000,
        card_fen=2700,
        resident=world.resident(),
    )
    result = log.get_community_log(
        world.operator_user, community=world.community, months=NOV
    )

    rows = list(csv.reader(io.StringIO(log.log_csv(result).decode("utf-8-sig"))))
    assert rows[0][:3] == ["月份", "商户", "到店笔数"]
    assert rows[1] == [
        "2026年11月",
        '\'=HYPERLINK("http://x")',
        "1",
        "1",
        "1",
        "60.00",
        "27.00",
        "0.00",
        "27.00",
        "33.00",
        "0",
    ]
    assert rows[-1][0] == "合计"

    book = load_workbook(io.BytesIO(log.log_xlsx(result)))
    sheet = book["按月到店"]
    values = [c.value for c in sheet[3]]
    assert values[0] == "2026年11月" and values[1].startswith("'=")
    assert values[5] == 60 and values[9] == 33
    assert sheet.cell(row=3, column=6).number_format == "0.00"
    assert [c.value for c in book["顾客来源"][2]][2:] == [1, "100%"]
