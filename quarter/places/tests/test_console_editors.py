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


def _png(name="front.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quarter.board.tests.factories import png_bytes

    return SimpleUploadedFile(name, png_bytes(), "image/png")


def test_console_adds_and_removes_shop_photos_and_the_shop_page_shows_them(
    client, shop_and_owner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    shop = shop_and_owner
    resp = client.post(
        f"/console/{shop.pk}/photos/", {"photos": [_png("a.png"), _png("b.png")]}
    )
    assert resp.status_code == 302
    first, second = shop.photos.all()
    page = client.get(f"/merchants/{shop.pk}/").content.decode()
    assert first.image.url in page  # the first photo heads the shop's page
    assert client.get(first.image.url).status_code == 200
    client.post(f"/console/{shop.pk}/photos/", {"remove": str(first.pk)})
    assert list(shop.photos.all()) == [second]
    event = (
        MerchantEvent.objects.filter(merchant=shop, kind="profile_updated")
        .order_by("pk")
        .last()
    )
    assert (event.before, event.after) == ({"photos": 2}, {"photos": 1})


def test_console_refuses_a_fake_photo_or_a_seventh_and_keeps_what_was_there(
    client, shop_and_owner, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    shop = shop_and_owner
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", "image/png")
    resp = client.post(f"/console/{shop.pk}/photos/", {"photos": [fake]})
    assert resp.status_code == 400
    assert "请上传JPG、PNG或WebP图片" in resp.content.decode()
    client.post(f"/console/{shop.pk}/photos/", {"photos": [_png() for _ in range(6)]})
    assert shop.photos.count() == 6
    resp = client.post(f"/console/{shop.pk}/photos/", {"photos": [_png()]})
    assert resp.status_code == 400 and "最多上传6张照片" in resp.content.decode()
    assert shop.photos.count() == 6


def test_another_shops_staff_cannot_touch_the_photos(client, shop_and_owner):
    other = make_merchant(make_community(), name="别家店")
    client.force_login(make_owner(other))
    resp = client.post(f"/console/{shop_and_owner.pk}/photos/", {"photos": [_png()]})
    assert resp.status_code == 403
    assert shop_and_owner.photos.count() == 0


def _profile(shop, **extra) -> dict:
    data = {
        "name": shop.name,
        "address": shop.address,
        "phone": "0571-87654321",
        "contact_person": "王先生",
        "lat": shop.lat,
        "lng": shop.lng,
    }
    return data | extra


def test_shop_declares_its_head_count_for_small_business_benefits(
    client, shop_and_owner
):
    shop = shop_and_owner
    page = client.get(f"/console/{shop.pk}/").content.decode()
    assert "从业人数" in page
    assert client.post(f"/console/{shop.pk}/profile/", _profile(shop, employees="6"))
    shop.refresh_from_db()
    assert shop.employees == 6
    event = MerchantEvent.objects.filter(merchant=shop, kind="profile_updated").get()
    assert event.after["employees"] == 6
    for bad in ("0", "十", "20000"):
        response = client.post(
            f"/console/{shop.pk}/profile/", _profile(shop, employees=bad)
        )
        assert response.status_code == 400
        shop.refresh_from_db()
        assert shop.employees == 6
