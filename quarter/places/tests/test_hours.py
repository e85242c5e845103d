"""Weekly opening hours with exceptions, and 'open now'."""

import datetime as dt

import pytest

from quarter.core.errors import DomainError
from quarter.places.hours import Span, is_open_at, open_now_q, parse_weekly_text
from quarter.places.models import Merchant, OpeningException
from quarter.places.tests.factories import make_community, make_merchant

SH = dt.timezone(dt.timedelta(hours=8))


def test_parse_weekly_text_days_and_overnight_split():
    spans = parse_weekly_text("1-5 07:00-21:00\n6,7 22:00-02:00")
    assert Span(0, 420, 1260) in spans and Span(4, 420, 1260) in spans
    assert Span(5, 1320, 1440) in spans and Span(6, 0, 120) in spans
    assert Span(6, 1320, 1440) in spans and Span(0, 0, 120) in spans


def test_parse_weekly_text_all_day():
    assert parse_weekly_text("* 00:00-24:00") == [Span(d, 0, 1440) for d in range(7)]


@pytest.mark.parametrize(
    "text",
    [
        "8-9 07:00-21:00",
        "1-5 7点-9点",
        "1-5",
        "5-1 07:00-08:00",
        "1 25:00-26:00",
        "1 08:00-08:00",
    ],
)
def test_parse_weekly_text_rejects_bad_lines(text):
    with pytest.raises(DomainError) as err:
        parse_weekly_text(text)
    assert err.value.code == "invalid_hours" and "第1行" in err.value.message


@pytest.mark.django_db
def test_open_now_respects_weekly_hours_and_exceptions():
    community = make_community()
    shop = make_merchant(community, hours="1-5 08:00-18:00")
    monday_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    monday_20 = dt.datetime(2026, 11, 23, 20, 0, tzinfo=SH)
    saturday_10 = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SH)

    def open_ids(at):
        return set(Merchant.objects.filter(open_now_q(at)).values_list("id", flat=True))

    assert open_ids(monday_10) == {shop.id} and is_open_at(shop, monday_10)
    assert open_ids(monday_20) == set() and not is_open_at(shop, monday_20)
    assert open_ids(saturday_10) == set()
    OpeningException.objects.create(
        merchant=shop, date=monday_10.date(), closed=True, note="盘点"
    )
    assert open_ids(monday_10) == set() and not is_open_at(shop, monday_10)
    OpeningException.objects.create(
        merchant=shop,
        date=saturday_10.date(),
        closed=False,
        open_minute=9 * 60,
        close_minute=12 * 60,
    )
    assert open_ids(saturday_10) == {shop.id} and is_open_at(shop, saturday_10)


@pytest.mark.django_db
def test_weekly_text_joins_days_and_parses_back():
    from quarter.places.hours import weekly_text

    shop = make_merchant(make_community(), hours="1-5 07:00-21:00\n6,7 09:00-18:00")
    text = weekly_text(list(shop.hours.all()))
    assert text == "1-5 07:00-21:00\n6-7 09:00-18:00"
    assert {
        (s.weekday, s.open_minute, s.close_minute) for s in parse_weekly_text(text)
    } == {(h.weekday, h.open_minute, h.close_minute) for h in shop.hours.all()}
