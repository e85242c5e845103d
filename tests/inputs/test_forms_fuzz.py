"""Forms fuzz: hostile values POSTed to every HTML form, for each role: no 5xx.

The API has its own schemathesis run (places/tests/test_api_fuzz.py); this one
drives the server-rendered forms the way a browser (or an attacker) would post
them. Examples are bounded to keep the suite fast; a failure prints the form,
the role and the values.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quarter.card import forms as card_forms
from quarter.people.forms import LoginForm, RealNameForm, SignUpForm
from quarter.places.forms import (
    ApplicationForm,
    DiscountForm,
    ExceptionForm,
    ProfileForm,
    StatusForm,
    WeekHoursForm,
)
from quarter.vouchers import forms as vforms
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "nan",
        "-inf",
        "1e400",
        "9" * 40,
        "-1",
        "0",
        "５０.００",
        "50,00",
        "1.2.3",
        "9999-12-31",
        "0001-01-01T00:00",
        "2026-02-30",
        "25:61",
        "满40减10×99999999999",
        "<img src=x onerror=alert(1)>",
        "' OR 1=1 --",
        "\x00",
        "a\x00b",
        "‮",
        "𠀀" * 30,
        "x" * 5000,
        "on",
        "round",
        "lottery",
        "custom",
        "release",
    ]
)
VALUE = st.one_of(
    HOSTILE,
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


def _fields(form_cls, *extra: str) -> list[str]:
    return [*form_cls.base_fields, *extra]


# (role, url builder, field names); the url builder gets the world.
FORMS = [
    ("anonymous", lambda w: "/accounts/login/", _fields(LoginForm)),
    ("anonymous", lambda w: "/accounts/signup/", _fields(SignUpForm)),
    ("resident", lambda w: "/accounts/real-name/", _fields(RealNameForm)),
    ("resident", lambda w: "/apply/", _fields(ApplicationForm)),
    ("resident", lambda w: f"/vouchers/rush/{w.round_.pk}/claim", ["ticket"]),
    ("merchant", lambda w: f"/console/{w.shop.pk}/discounts/", _fields(DiscountForm)),
    (
        "merchant",
        lambda w: f"/console/{w.shop.pk}/hours/",
        list(WeekHoursForm().fields),
    ),
    ("merchant", lambda w: f"/console/{w.shop.pk}/status/", _fields(StatusForm)),
    ("merchant", lambda w: f"/console/{w.shop.pk}/profile/", _fields(ProfileForm)),
    ("merchant", lambda w: f"/console/{w.shop.pk}/exceptions/", _fields(ExceptionForm)),
    (
        "merchant",
        lambda w: f"/vouchers/till/{w.shop.pk}/quote",
        _fields(card_forms.PayForm),
    ),
    (
        "merchant",
        lambda w: f"/vouchers/till/{w.shop.pk}/redeem",
        _fields(card_forms.ConfirmForm),
    ),
    (
        "merchant",
        lambda w: f"/vouchers/till/{w.shop.pk}/redemptions/1/refund",
        _fields(vforms.RefundForm),
    ),
    ("operator", lambda w: "/vouchers/review/1/", _fields(vforms.ReviewForm)),
    (
        "operator",
        lambda w: f"/planning/{w.community.slug}/what-if/",
        ["type", "lat", "lng", "profile"],
    ),
    ("issuer", lambda w: "/vouchers/issuer/", _fields(vforms.CampaignForm)),
    (
        "issuer",
        lambda w: f"/vouchers/issuer/campaigns/{w.campaign_.pk}/",
        _fields(vforms.RoundForm),
    ),
    (
        "issuer",
        lambda w: f"/vouchers/issuer/rounds/{w.round_.pk}/change/",
        _fields(vforms.RoundChangeForm),
    ),
    ("issuer", lambda w: f"/vouchers/issuer/rounds/{w.round_.pk}/stop", ["reason"]),
    ("issuer", lambda w: "/vouchers/issuer/settle", ["business_date"]),
]


@pytest.fixture
def world(db):
    w = World()
    w.campaign_ = w.campaign()
    w.round_ = w.round(w.campaign_, release_in=dt.timedelta(days=2))
    w.resident_ = w.resident()
    return w


def _user(world, role):
    return {
        "anonymous": None,
        "resident": world.resident_.user,
        "merchant": world.cashier,
        "operator": world.operator_user,
        "issuer": world.issuer_user,
    }[role]


@pytest.mark.parametrize(
    ("role", "url", "fields"),
    FORMS,
    ids=[f"{role}:{fields[0]}:{i}" for i, (role, _, fields) in enumerate(FORMS)],
)
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_form_never_answers_5xx(client, world, role, url, fields, data):
    client.raise_request_exception = False
    user = _user(world, role)
    if user is not None:
        client.force_login(user)
    values = {name: data.draw(VALUE, label=name) for name in fields}
    response = client.post(url(world), values, REMOTE_ADDR="192.0.2.1")
    assert response.status_code < 500, (role, url(world), values)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["q", "lat", "lng", "distance", "type", "tier", "sort", "open_now"]
        ),
        VALUE,
        max_size=5,
    )
)
def test_search_page_query_string_never_answers_5xx(client, params):
    client.raise_request_exception = False
    assert client.get("/search/", params).status_code < 500, params
