"""The merchant console's hours editor and services-with-prices editor."""

import pytest

from quarter.places.models import MerchantEvent
from quarter.places.tests.factories import make_community, make_merchant, make_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_and_owner(client):
    shop = make_merchant(make_community(), hours="1-7 06:00-10:00", services=["豆浆"])
    shop.services.update(price_fen=300)
    client.force_login(make_owner(shop))
    return shop


def _week(shop):
    return sorted(shop.hours.values_list("weekday", "open_minute", "close_minute"))


def test_console_shows_hours_as_hhmm_rows_per_weekday(client, shop_and_owner):
    html = client.get(f"/console/{shop_and_owner.pk}/").content.decode()
    assert 'type="time"' in html and 'value="06:00"' in html
    for day in ("周一", "周二", "周三", "周四", "周五", "周六", "周日"):
        assert day in html
    assert "1-5 07:00-21:00" not in html  # no mini-language any more


def test_hours_editor_saves_two_periods_and_closed_days(client, shop_and_owner):
    shop = shop_and_owner
    data = {"d0_open1": "07:00", "d0_close1": "11:30", "d0_open2": "17:00"}
    data.update({"d0_close2": "00:00", "d1_open1": "08:00", "d1_close1": "20:00"})
    data.update({f"d{d}_closed": "on" for d in range(2, 7)})
    resp = client.post(f"/console/{shop.pk}/hours/", data)
    assert resp.status_code == 302
    assert _week(shop) == [(0, 420, 690), (0, 1020, 1440), (1, 480, 1200)]
    event = MerchantEvent.objects.filter(merchant=shop, kind="hours_changed").get()
    assert "周一 17:00-24:00" in str(event) and "[" not in str(event)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"d2_open1": "07:00", "d2_close1": "12:00", "d2_open2": "11:00"}
            | {"d2_close2": "14:00"},
            "周三 07:00-12:00 与 11:00-14:00 重叠",
        ),
        ({"d0_open1": "21:00", "d0_close1": "07:00"}, "关门时间应晚于开门时间"),
        ({"d0_open1": "07:00"}, "请同时填写开门和关门时间"),
        ({"d0_open1": "7点", "d0_close1": "12:00"}, "请按 时:分 填写"),
    ],
)
def test_hours_editor_refuses_bad_weeks_and_keeps_the_old_one(
    client, shop_and_owner, data, message
):
    shop = shop_and_owner
    before = _week(shop)
    resp = client.post(f"/console/{shop.pk}/hours/", data)
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert _week(shop) == before


def test_services_editor_takes_yuan_and_refuses_bad_prices(client, shop_and_owner):
    shop = shop_and_owner
    url = f"/console/{shop.pk}/services/"
    assert 'value="3.00"' in client.get(f"/console/{shop.pk}/").content.decode()
    for bad, message in (("50,00", "不用逗号"), ("-1", "不能为负数")):
        resp = client.post(url, {"s0_name": "豆浆", "s0_price": bad})
        assert resp.status_code == 400 and message in resp.content.decode()
    assert list(shop.services.values_list("name", "price_fen")) == [("豆浆", 300)]
    resp = client.post(
        url, {"s0_name": "豆浆", "s0_price": "3.5", "s1_name": "油条", "s1_price": ""}
    )
    assert resp.status_code == 302
    assert list(shop.services.values_list("name", "price_fen")) == [
        ("豆浆", 350),
        ("油条", None),
    ]
    event = MerchantEvent.objects.filter(merchant=shop, kind="profile_updated").get()
    assert str(event).endswith("资料修改:服务项目:豆浆 ¥3.00 → 豆浆 ¥3.50、油条")
