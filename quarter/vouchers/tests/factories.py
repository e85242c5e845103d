"""Scenario builders for voucher tests: a district, a community, shops and residents."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

from django.test import TestCase

from quarter.core import clock
from quarter.core.identity import hash_id_number, id_check_char, mask_id_number
from quarter.people.models import Household, Issuer, Operator, Resident, User
from quarter.people.services import add_role
from quarter.people.tests.factories import put_on_register
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    District,
    Merchant,
    MerchantStaff,
    StreetOffice,
)
from quarter.vouchers.services import campaigns

_seq = itertools.count(1)


def id_number(n: int, born: str = "19800101") -> str:
    first17 = f"33{(n // 1000) % 10000:04d}{born}{n % 1000:03d}"
    return first17 + id_check_char(first17)


class World:
    """A tiny city: district, community, compound, shop, issuer and operator."""

    def __init__(self, *, city: str = "杭州市", district: str = "上城区"):
        n = next(_seq)
        self.district = District.objects.create(city=city, name=f"{district}{n}")
        self.street = StreetOffice.objects.create(
            name=f"湖滨街道{n}", district=self.district
        )
        self.community = Community.objects.create(
            name=f"东河社区{n}",
            slug=f"donghe-{n}",
            street_office=self.street,
            area_km2="0.5",
            center_lat=30.26,
            center_lng=120.17,
        )
        self.compound = Compound.objects.create(
            community=self.community,
            name=f"东河小区{n}",
            lat=30.26,
            lng=120.17,
            households=100,
            population=300,
        )
        self.issuer_user = self.user(f"issuer{n}", role="issuer")
        self.issuer = Issuer.objects.create(
            user=self.issuer_user, organisation="杭州市商务局", district=self.district
        )
        self.operator_user = self.user(f"operator{n}", role="operator")
        Operator.objects.create(user=self.operator_user, community=self.community)
        self.shop, self.cashier = self.merchant("东河早餐店", type_code=None)
        self._residents = itertools.count(1)

    @staticmethod
    def user(username: str, *, role: str) -> User:
        user = User.objects.create_user(username=username, password="Quarter-2026!")
        add_role(user, role)
        return user

    def merchant(self, name: str, *, type_code: str | None = None, community=None):
        btype = (
            BusinessType.objects.get(code=type_code)
            if type_code
            else BusinessType.objects.order_by("pk").first()
        )
        shop = Merchant.objects.create(
            community=community or self.community,
            name=name,
            main_type=btype,
            address="东河路1号",
            lat=30.26,
            lng=120.17,
            phone="057188888888",
            contact_person="王",
            admission=Admission.APPROVED,
        )
        cashier = self.user(f"cashier{shop.pk}-{next(_seq)}", role="merchant")
        MerchantStaff.objects.create(merchant=shop, user=cashier, role="staff")
        return shop, cashier

    def resident(
        self,
        *,
        verified: bool = True,
        born: str = "19800101",
        household=None,
        id_n: int | None = None,
        compound=None,
    ) -> Resident:
        i = next(self._residents)
        uniq = next(_seq)
        phone = f"139{uniq:08d}"
        user = self.user(phone, role="resident")
        if household is None:
            household = Household.objects.create(
                compound=compound or self.compound, address=f"{uniq}幢"
            )
        resident = Resident.objects.create(
            user=user, phone=phone, household=household, real_name=f"居民{i}"
        )
        if verified:
            number = id_number(id_n if id_n is not None else uniq, born)
            resident.id_hash = hash_id_number(number)
            resident.id_masked = mask_id_number(number)
            resident.birth_year = int(born[:4])
            resident.verified_at = clock.now()
            resident.save()
            put_on_register(resident, number)
        return resident

    def campaign(self, *, budget_fen: int = 10_000_000, **kw):
        return campaigns.create_campaign(
            actor=self.issuer_user, name="杭州消费券", budget_fen=budget_fen, **kw
        )

    def round(
        self,
        campaign,
        *,
        packets: int = 10,
        preset: str = "hz2020_p1",
        release_in: dt.timedelta = dt.timedelta(minutes=5),
        **kw,
    ):
        now = clock.now()
        release = now + release_in
        kw.setdefault("claim_closes_at", release + dt.timedelta(hours=2))
        kw.setdefault("valid_from", release)
        kw.setdefault("valid_until", release + dt.timedelta(days=7))
        coupons = kw.pop("coupons", None) or campaigns.coupons_from_preset(preset)
        # Run on-commit work (the Redis engine loads stock then) as a commit would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return campaigns.create_round(
                actor=self.issuer_user,
                campaign=campaign,
                name=kw.pop("name", "第一轮"),
                release_at=release,
                packets_total=packets,
                coupons=coupons,
                **kw,
            )

    def pledge(self, campaign, shop=None, cashier=None):
        return campaigns.sign_pledge(
            actor=cashier or self.cashier, campaign=campaign, merchant=shop or self.shop
        )


def at(round_, seconds: float = 1.0) -> dt.datetime:
    """Freeze the clock `seconds` after the round's release and return that time."""
    when = round_.release_at + dt.timedelta(seconds=seconds)
    clock.freeze(when)
    return when


def page_ticket(client, round_) -> str:
    """Open the round's countdown page as the client and return its rush ticket."""
    import re

    page = client.get(f"/vouchers/rounds/{round_.pk}/").content.decode()
    match = re.search(r'data-ticket="([^"]*)"', page)
    assert match is not None, "the countdown page carries no rush ticket"
    return match.group(1)


def tap(client, round_, *, ticket: str | None = None, ip: str = "127.0.0.1"):
    """Do what the claim button does: send the page's ticket to the gate URL."""
    return client.post(
        f"/vouchers/rush/{round_.pk}/claim",
        HTTP_X_RUSH_TICKET=ticket
        if ticket is not None
        else page_ticket(client, round_),
        REMOTE_ADDR=ip,
    )


@contextlib.contextmanager
def connection_kept_open():
    """Call a WSGI app as Django's test client does: keep the test's transaction.

    The gate sends Django's request signals, whose handler closes a connection
    inside a transaction; the test client disconnects it around each request.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
