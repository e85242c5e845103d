"""Pages of reviews: what a resident, a merchant and an operator see and get refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quarter.core import clock
from quarter.reviews import services
from quarter.reviews.models import Rating
from quarter.reviews.tests.factories import rating, visit
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db

STARS = {"quality": "5", "service": "4", "price": "4"}


def test_rate_page_refuses_before_a_visit_with_the_reason(client):
    w = World()
    resident = w.resident()
    client.force_login(resident.user)
    url = reverse("reviews:rate", args=[w.shop.pk])
    page = client.get(url).content.decode()
    assert "消费后30天内才能评价" in page
    resp = client.post(url, {**STARS, "text": "不错"})
    assert resp.status_code == 403
    assert "30天内才能评价" in resp.content.decode()
    assert not Rating.objects.exists()


def test_rate_page_bad_stars_are_a_400_naming_the_field(client):
    w = World()
    resident = w.resident()
    visit(w, resident)
    client.force_login(resident.user)
    resp = client.post(
        reverse("reviews:rate", args=[w.shop.pk]), {**STARS, "service": "9"}
    )
    assert resp.status_code == 400
    assert "请为“服务”选择1到5星" in resp.content.decode()
    assert not Rating.objects.exists()


def test_rate_page_after_a_visit_shows_on_the_merchant_page(client):
    w = World()
    resident = w.resident()
    visit(w, resident)
    client.force_login(resident.user)
    resp = client.post(
        reverse("reviews:rate", args=[w.shop.pk]), {**STARS, "text": "油条酥脆"}
    )
    assert resp.status_code == 302
    r = Rating.objects.get()
    services.reply_to_rating(actor=w.cashier, rating=r, text="欢迎再来")
    page = client.get(reverse("merchant_detail", args=[w.shop.pk])).content.decode()
    assert "油条酥脆" in page and "欢迎再来" in page
    assert "1 条评价" in page


def test_merchant_page_and_map_show_the_star_badge(client):
    w = World()
    resident = w.resident()
    rating(visit(w, resident), stars=(5, 5, 5))
    services.open_evaluation(
        actor=w.operator_user, community=w.community, year=clock.local_now().year
    )
    stars = w.shop.evaluation_results.get().stars
    page = client.get(reverse("merchant_detail", args=[w.shop.pk])).content.decode()
    assert f"{stars}星商户" in page
    data = client.get(reverse("map_data"), {"community": w.community.slug}).json()
    assert {m["id"]: m["stars"] for m in data["merchants"]} == {w.shop.pk: stars}


def test_merchant_sees_its_breakdown_and_another_shop_does_not(client):
    w = World()
    other_shop, other_cashier = w.merchant("隔壁店")
    services.open_evaluation(
        actor=w.operator_user, community=w.community, year=clock.local_now().year
    )
    client.force_login(w.cashier)
    page = client.get(reverse("reviews:merchant", args=[w.shop.pk])).content.decode()
    assert "客流趋势" in page and "风控核实" in page and "评星公式" in page
    client.force_login(other_cashier)
    assert client.get(reverse("reviews:merchant", args=[w.shop.pk])).status_code == 403


def test_open_evaluation_page_bad_year_is_a_400(client):
    w = World()
    client.force_login(w.operator_user)
    url = reverse("reviews:evaluations")
    page = client.get(url).content.decode()
    assert "平滑均分" in page  # the formula is published
    resp = client.post(url, {"community": w.community.pk, "year": "20x5"})
    assert resp.status_code == 400
    assert "请填写四位数的年度" in resp.content.decode()
    resp = client.post(url, {"community": "999999", "year": "2025"})
    assert resp.status_code == 400
    resp = client.post(url, {"community": w.community.pk, "year": "2025"})
    assert resp.status_code == 302


def test_remove_without_reason_is_a_400(client):
    w = World()
    evaluation = services.open_evaluation(
        actor=w.operator_user, community=w.community, year=clock.local_now().year
    )
    result = evaluation.results.get()
    client.force_login(w.operator_user)
    resp = client.post(reverse("reviews:remove", args=[result.pk]), {"reason": ""})
    assert resp.status_code == 400
    assert "请填写原因" in resp.content.decode()
