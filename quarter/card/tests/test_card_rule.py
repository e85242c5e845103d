"""The card rate is never worse than the VIP rate, wherever a rate is written.

The places where a rate is set: the merchant console's discount form, the
application form, the back office (Django admin), the OSM import of
candidate shops, the demo loader, and the JSON API (which has no operation
that writes a rate). Behind them all, the database constraint
`merchant_card_not_worse_than_vip` refuses any row that breaks the rule.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory

from quarter.api import api
from quarter.places.models import BusinessType, Merchant

pytestmark = pytest.mark.django_db


def _rates(shop):
    shop.refresh_from_db()
    return shop.card_discount_permille, shop.vip_discount_permille


def test_console_form_refuses_a_card_rate_worse_than_vip(world, client):
    owner = world.cashier
    client.force_login(owner)
    url = f"/console/{world.shop.pk}/discounts/"
    bad = client.post(url, {"card_discount": "8", "vip_discount": "7"})
    assert (
        bad.status_code == 400
        and "大家卡须至少与会员卡一样优惠" in bad.content.decode()
    )
    assert _rates(world.shop) == (None, None)
    client.post(url, {"card_discount": "5.5", "vip_discount": "7"})
    assert _rates(world.shop) == (550, 700)


def test_application_form_refuses_a_card_rate_worse_than_vip(world, client):
    applicant = world.user("applicant-rule", role="resident")
    client.force_login(applicant)
    data = {
        "community": world.community.pk,
        "name": "规则测试店",
        "main_type": BusinessType.objects.order_by("pk").first().pk,
        "address": "东河路9号",
        "lat": "30.26",
        "lng": "120.17",
        "phone": "057188880000",
        "contact_person": "李",
        "hours": "1-7 08:00-20:00",
        "card_discount": "9",
        "vip_discount": "8.5",
    }
    bad = client.post("/apply/", data)
    assert (
        bad.status_code == 400
        and "大家卡须至少与会员卡一样优惠" in bad.content.decode()
    )
    assert not Merchant.objects.filter(name="规则测试店").exists()


def test_back_office_form_and_save_refuse_a_card_rate_worse_than_vip(world):
    site_admin = admin.site._registry[Merchant]
    request = RequestFactory().post("/admin/")
    request.user = world.operator_user
    form_class = site_admin.get_form(request, world.shop)
    data = model_to_dict(world.shop)
    data.update(card_discount_permille=900, vip_discount_permille=800)
    form = form_class(data=data, instance=world.shop)
    assert not form.is_valid()
    assert "大家卡须至少与会员卡一样优惠" in str(form.errors["card_discount_permille"])
    world.shop.card_discount_permille, world.shop.vip_discount_permille = 900, 800
    with pytest.raises(Exception) as exc:
        site_admin.save_model(request, world.shop, form, True)
    assert getattr(exc.value, "code", "") == "card_rate_worse_than_vip"
    assert _rates(world.shop) == (None, None)


def test_database_refuses_any_write_that_skips_the_services(world):
    """The OSM import (bulk_create), the demo loader and raw updates included."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.filter(pk=world.shop.pk).update(
            card_discount_permille=900, vip_discount_permille=800
        )
    shop = Merchant.objects.get(pk=world.shop.pk)
    shop.pk = None
    shop.card_discount_permille, shop.vip_discount_permille = 950, 900
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.bulk_create([shop])
    Merchant.objects.filter(pk=world.shop.pk).update(
        card_discount_permille=800,
        vip_discount_permille=800,  # equal is allowed
    )
    assert _rates(world.shop) == (800, 800)


def test_osm_candidates_carry_no_rate():
    from quarter.coverage.services import _candidate

    class Poi:
        tags = {"shop": "hairdresser", "name": "候选"}
        name, lat, lng, ref = "候选", 30.26, 120.17, "node/1"

    shop = _candidate(Poi(), BusinessType(code="x", name_zh="理发"), community=None)
    assert (shop.card_discount_permille, shop.vip_discount_permille) == (None, None)


RATE_FIELDS = {
    "card_discount",
    "vip_discount",
    "card_discount_permille",
    "vip_discount_permille",
}


def test_api_has_no_operation_that_writes_a_rate():
    schema = api.get_openapi_schema()
    bodies = [
        ref.rsplit("/", 1)[-1]
        for ops in schema["paths"].values()
        for method, op in ops.items()
        if method != "get"
        for ref in re.findall(r"#/components/schemas/\w+", str(op.get("requestBody")))
    ]
    assert bodies  # the till's bodies are there, so the walk reads the schema
    for name in bodies:
        props = schema["components"]["schemas"][name].get("properties", {})
        assert not RATE_FIELDS & set(props), name
