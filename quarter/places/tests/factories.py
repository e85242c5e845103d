"""Small builders for places tests (and other apps' tests):
a community, shops, people."""

from __future__ import annotations

import itertools
from decimal import Decimal

from quarter.people.models import Operator, User
from quarter.places.hours import parse_weekly_text
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    District,
    Merchant,
    MerchantService,
    MerchantStaff,
    OpeningHours,
    StreetOffice,
)
from quarter.places.services import index_merchant

_seq = itertools.count(1)
CENTER = (30.2688, 120.1777)


def make_community(name="东河社区", slug=None) -> Community:
    district, _ = District.objects.get_or_create(city="杭州市", name="下城区")
    street, _ = StreetOffice.objects.get_or_create(district=district, name="潮鸣街道")
    return Community.objects.create(
        name=name,
        slug=slug or f"c{next(_seq)}",
        street_office=street,
        area_km2=Decimal("0.180"),
        center_lat=CENTER[0],
        center_lng=CENTER[1],
    )


def make_compound(
    community, name="利兹城市公寓", lat=CENTER[0], lng=CENTER[1], households=200
) -> Compound:
    return Compound.objects.create(
        community=community,
        name=name,
        lat=lat,
        lng=lng,
        households=households,
        population=households * 2,
    )


def make_merchant(
    community,
    *,
    name="阿明理发店",
    type_code="hair_beauty",
    lat=CENTER[0],
    lng=CENTER[1],
    services=(),
    hours="* 00:00-24:00",
    card=None,
    vip=None,
    admission=Admission.APPROVED,
    intro="",
    **extra,
) -> Merchant:
    merchant = Merchant.objects.create(
        community=community,
        name=name,
        main_type=BusinessType.objects.get(code=type_code),
        address="体育场路1号",
        lat=lat,
        lng=lng,
        phone="0571-87654321",
        contact_person="王先生",
        card_discount_permille=card,
        vip_discount_permille=vip,
        admission=admission,
        introduction=intro,
        **extra,
    )
    for i, service in enumerate(services):
        MerchantService.objects.create(merchant=merchant, name=service, sort_order=i)
    OpeningHours.objects.bulk_create(
        OpeningHours(
            merchant=merchant,
            weekday=s.weekday,
            open_minute=s.open_minute,
            close_minute=s.close_minute,
        )
        for s in parse_weekly_text(hours)
    )
    index_merchant(merchant)
    return merchant


def make_user(username=None, *, password="a-strong-pass-2026", **extra) -> User:
    return User.objects.create_user(
        username=username or f"user{next(_seq)}", password=password, **extra
    )


def make_operator(community, username=None) -> User:
    from quarter.people.services import add_role

    user = make_user(username, is_staff=True)
    add_role(user, "operator")
    Operator.objects.create(user=user, community=community)
    return user


def make_owner(merchant, username=None) -> User:
    from quarter.people.services import add_role

    user = make_user(username)
    add_role(user, "merchant")
    MerchantStaff.objects.create(merchant=merchant, user=user)
    return user
