"""Every places form produces its service's typed input; no field is dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest

from quarter.places import forms, inputs, services
from quarter.places.models import Merchant, OpeningException
from quarter.places.tests.factories import make_community, make_merchant, make_owner

CONTRACTS = [
    (forms.DiscountForm, inputs.DiscountsInput, services.set_merchant_discounts),
    (forms.WeekHoursForm, inputs.WeekSpansInput, services.set_weekly_spans),
    (forms.StatusForm, inputs.StatusInput, services.set_merchant_status),
    (forms.ExceptionForm, inputs.ExceptionInput, services.add_opening_exception),
]
FOLDED = {
    "card_discount": "card_discount_permille",
    "vip_discount": "vip_discount_permille",
    "hours": ("text", "hours_text"),
    "services": "services",
}
# Every field of the hours editor folds into the week's spans.
FOLDED.update({name: "spans" for name in forms.WeekHoursForm().fields})


def _names(input_cls) -> set[str]:
    return {f.name for f in dataclasses.fields(input_cls)}


def _lands(field: str, names: set[str]) -> bool:
    target = FOLDED.get(field, field)
    targets = target if isinstance(target, tuple) else (target,)
    return any(t in names for t in targets)


@pytest.mark.parametrize(
    ("form_cls", "input_cls", "service"), CONTRACTS, ids=lambda c: c.__name__
)
def test_console_input_matches_service_and_form(form_cls, input_cls, service):
    params = set(inspect.signature(service).parameters) - {"actor", "merchant"}
    assert _names(input_cls) == params
    for name in form_cls().fields:
        assert _lands(name, params), f"{form_cls.__name__}.{name} dropped"


def test_profile_input_is_editable_and_complete():
    assert _names(inputs.ProfileInput) <= set(services.EDITABLE_FIELDS)
    assert set(forms.ProfileForm.base_fields) == _names(inputs.ProfileInput)


def test_application_form_fills_every_field_of_the_application():
    names = _names(services.MerchantApplication)
    for name in forms.ApplicationForm.base_fields:
        assert name == "photos" or _lands(name, names), f"{name} dropped"
    optional = {
        f.name
        for f in dataclasses.fields(services.MerchantApplication)
        if f.default is not dataclasses.MISSING
    }
    required = names - optional
    assert required <= set(forms.ApplicationForm.base_fields)


@pytest.mark.django_db
def test_apply_page_reaches_the_service_with_every_field(client):
    from quarter.places.models import BusinessType

    community = make_community()
    btype = BusinessType.objects.order_by("pk").first()
    user = make_owner(make_merchant(community, name="旧店"))
    client.force_login(user)
    response = client.post(
        "/apply/",
        {
            "community": community.pk,
            "name": "新开理发店",
            "main_type": btype.pk,
            "address": "体育场路8号",
            "lat": "30.2605",
            "lng": "120.1705",
            "phone": "0571-87650000",
            "contact_person": "李师傅",
            "introduction": "老师傅",
            "services": "剪发 30\n洗吹 15.5",
            "hours": "1-6 09:00-20:00",
            "card_discount": "8",
            "vip_discount": "9",
            "card_offer_note": "持卡八折",
            "is_chain": "on",
            "brand_name": "名剪",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    m = Merchant.objects.get(name="新开理发店")
    assert (m.community, m.main_type, m.address) == (community, btype, "体育场路8号")
    assert (m.lat, m.lng) == (30.2605, 120.1705)
    assert (m.phone, m.contact_person, m.introduction) == (
        "0571-87650000",
        "李师傅",
        "老师傅",
    )
    assert (m.card_discount_permille, m.vip_discount_permille) == (800, 900)
    assert (m.card_offer_note, m.is_chain, m.brand_name) == ("持卡八折", True, "名剪")
    assert sorted(m.services.values_list("name", "price_fen")) == [
        ("剪发", 3000),
        ("洗吹", 1550),
    ]
    assert m.hours.count() == 6


@pytest.mark.django_db
def test_console_exception_page_reaches_the_service_with_every_field(client):
    shop = make_merchant(make_community())
    client.force_login(make_owner(shop))
    day = dt.date.today() + dt.timedelta(days=3)
    response = client.post(
        f"/console/{shop.pk}/exceptions/",
        {"date": day.isoformat(), "hours": "09:00-12:00", "note": "盘点"},
    )
    assert response.status_code == 302
    exc = OpeningException.objects.get(merchant=shop)
    assert (exc.date, exc.note) == (day, "盘点")
    assert not exc.closed
