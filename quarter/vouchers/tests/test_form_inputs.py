"""Every voucher form produces its service's typed input; no field is dropped.

The page for a new round once dropped `mode`: an issuer choosing 报名摇号 got a
first-come round. Each form now builds a dataclass of `quarter.vouchers.inputs`
whose fields are exactly the service's keyword arguments, and the pages pass it
whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect

import pytest

from quarter.core import clock
from quarter.vouchers import forms, inputs, schemas
from quarter.vouchers.models import Campaign, ClaimMode, PersonLimit, Round
from quarter.vouchers.services import campaigns, redemptions

# (form, its input, the service, the service's arguments the page supplies itself)
CONTRACTS = [
    (
        forms.CampaignForm,
        inputs.CampaignInput,
        campaigns.create_campaign,
        {"actor", "issuer"},
    ),
    (
        forms.RoundForm,
        inputs.RoundInput,
        campaigns.create_round,
        {"actor", "campaign", "stock_shards"},
    ),
    (
        forms.RefundForm,
        inputs.RefundInput,
        redemptions.refund_redemption,
        {"actor", "redemption"},
    ),
    (
        forms.ReviewForm,
        inputs.ReviewInput,
        redemptions.review_redemption,
        {"actor", "redemption"},
    ),
]
# Form fields that are parsed into another input field rather than passed as is.
FOLDED = {
    "preset": "coupons",
    "custom": "coupons",
    "budget": "budget_fen",
    "bill": "bill_fen",
    "amount": "amount_fen",
    "decision": "release",
    "cofund_percent": "cofund_permille",
    "communities": "community_ids",
    "street_offices": "street_office_ids",
    "business_types": "business_type_codes",
}


def _fields(input_cls) -> set[str]:
    return {f.name for f in dataclasses.fields(input_cls)}


@pytest.mark.parametrize(
    ("form_cls", "input_cls", "service", "context"),
    CONTRACTS,
    ids=[c[0].__name__ for c in CONTRACTS],
)
def test_input_matches_service_and_form(form_cls, input_cls, service, context):
    """Input fields == service keywords; every form field lands in one of them."""
    params = set(inspect.signature(service).parameters) - context
    assert _fields(input_cls) == params
    for name in form_cls.base_fields:
        assert FOLDED.get(name, name) in params, f"{form_cls.__name__}.{name} dropped"


def test_round_change_input_is_what_change_round_accepts():
    doc = inspect.getdoc(campaigns.change_round)
    changeable = _fields(inputs.RoundChangeInput) - {"reason"}
    assert "reason" in inspect.signature(campaigns.change_round).parameters
    for name in changeable:
        assert name in doc, f"change_round does not say it changes {name}"
    for name in forms.RoundChangeForm().fields:
        assert FOLDED.get(name, name) in _fields(inputs.RoundChangeInput)


def _local(when):
    return when.astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _round_post(release, **extra):
    return {
        "name": "长者摇号",
        "preset": "custom",
        "custom": "满40减10×2\n满100减30",
        "packets_total": "7",
        "release_at": _local(release),
        "claim_closes_at": _local(release + dt.timedelta(days=1)),
        "valid_from": _local(release + dt.timedelta(days=1)),
        "valid_until": _local(release + dt.timedelta(days=8)),
        **extra,
    }


def test_issuer_choosing_lottery_gets_a_lottery_round(world, db_engine, client):
    """The round page reaches create_round with every field, 报名摇号 included."""
    campaign = world.campaign()
    client.force_login(world.issuer_user)
    release = (clock.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client.post(
        f"/vouchers/issuer/campaigns/{campaign.pk}/",
        _round_post(release, person_limit="round", mode="lottery", min_age="60"),
    )
    assert response.status_code == 302
    round_ = Round.objects.get(campaign=campaign)
    assert round_.mode == ClaimMode.LOTTERY
    assert round_.min_age == 60
    assert round_.person_limit == PersonLimit.ROUND
    assert round_.name == "长者摇号" and round_.packets_total == 7
    assert round_.release_at == release
    assert round_.valid_until == release + dt.timedelta(days=8)
    assert [(c.threshold_fen, c.face_fen, c.count) for c in round_.coupons.all()] == [
        (4000, 1000, 2),
        (10000, 3000, 1),
    ]
    page = client.get(f"/vouchers/issuer/campaigns/{campaign.pk}/").content.decode()
    assert "摇号轮次" in page


def test_round_change_page_reaches_change_round_with_every_field(
    world, db_engine, client
):
    campaign = world.campaign()
    round_ = world.round(campaign, release_in=dt.timedelta(hours=3))
    client.force_login(world.issuer_user)
    release = (clock.now() + dt.timedelta(hours=5)).replace(second=0, microsecond=0)
    page = client.get(f"/vouchers/issuer/rounds/{round_.pk}/change/").content.decode()
    assert 'name="mode"' not in page  # not offered where it cannot change
    response = client.post(
        f"/vouchers/issuer/rounds/{round_.pk}/change/",
        _round_post(release, reason="延后两小时"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    round_.refresh_from_db()
    assert (round_.name, round_.packets_total, round_.release_at) == (
        "长者摇号",
        7,
        release,
    )
    assert round_.coupons.count() == 2
    assert round_.events.filter(reason="延后两小时").exists()


def test_campaign_page_reaches_create_campaign_with_every_field(world, client):
    from quarter.places.models import BusinessType

    code = BusinessType.objects.order_by("pk").first().code
    client.force_login(world.issuer_user)
    response = client.post(
        "/vouchers/issuer/",
        {
            "name": "配资活动",
            "budget": "2000",
            "communities": [world.community.pk],
            "street_offices": [world.street.pk],
            "business_types": [code],
            "max_per_merchant_per_day": "3",
            "cofund_percent": "12.5",
            "card_stacking": "on_bill",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(name="配资活动")
    assert campaign.card_stacking == "on_bill"
    assert campaign.budget_fen == 200_000
    assert campaign.max_per_merchant_per_day == 3
    assert campaign.cofund_permille == 125
    assert list(campaign.communities.values_list("pk", flat=True)) == [
        world.community.pk
    ]
    assert list(campaign.street_offices.values_list("pk", flat=True)) == [
        world.street.pk
    ]
    assert list(campaign.business_types.values_list("code", flat=True)) == [code]


@pytest.mark.parametrize(
    ("schema", "input_cls", "service", "extra"),
    [
        (schemas.TillIn, inputs.TillInput, redemptions.quote_redemption, set()),
        (schemas.RedeemIn, inputs.TillInput, redemptions.redeem_voucher, {"key"}),
        (schemas.RefundIn, inputs.RefundInput, redemptions.refund_redemption, set()),
        (schemas.ReviewIn, inputs.ReviewInput, redemptions.review_redemption, set()),
    ],
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_api_schema_fields_reach_the_service(schema, input_cls, service, extra):
    """Every field of an API body is in its typed input (or named beside it)."""
    params = set(inspect.signature(service).parameters)
    assert set(schema.model_fields) == _fields(input_cls) | extra
    assert _fields(input_cls) | extra <= params
