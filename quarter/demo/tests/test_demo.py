"""The demo data is faithful to the seeds and deterministic."""

import pytest
from django.contrib.auth import authenticate

from quarter.demo.services import DEMO_PASSWORD, load_demo
from quarter.places.models import Compound, Merchant

pytestmark = pytest.mark.django_db


def test_load_demo_builds_jinxiu_as_seed_000_describes():
    load_demo()
    jinxiu = Merchant.objects.filter(community__slug="jinxiu")
    assert jinxiu.filter(main_type__tier="basic").count() == 145
    assert jinxiu.filter(main_type__tier="quality").count() == 65
    commerce = jinxiu.exclude(main_type__tier="public")
    share = commerce.filter(is_chain=True).count() / commerce.count()
    assert 0.345 <= share <= 0.355
    compounds = Compound.objects.filter(community__slug="jinxiu")
    assert sum(c.households for c in compounds) == 3010
    assert {c.name for c in compounds} == {
        "锦绣嘉苑",
        "锦绣华庭",
        "锦绣华府",
        "机电小院",
        "佳鸿缘",
    }
    assert jinxiu.filter(main_type__code="hospital").count() == 1
    assert jinxiu.filter(main_type__code="pharmacy").count() == 2


def test_load_demo_builds_donghe_as_seed_004_describes():
    load_demo()
    compounds = Compound.objects.filter(community__slug="donghe")
    assert compounds.count() == 7
    assert sum(c.households for c in compounds) == 1115
    assert sum(c.population for c in compounds) == 2553
    members = Merchant.objects.filter(community__slug="donghe")
    assert members.count() == 18
    barber = members.get(name="阿明理发店")
    assert barber.card_discount_permille == 550
    for m in members.exclude(card_discount_permille=None).exclude(
        vip_discount_permille=None
    ):
        assert m.card_discount_permille <= m.vip_discount_permille


def test_load_demo_is_idempotent_and_logins_work():
    first = load_demo()
    count = Merchant.objects.count()
    second = load_demo()
    assert first.created and not second.created
    assert Merchant.objects.count() == count
    for login in first.logins:
        assert authenticate(username=login.username, password=DEMO_PASSWORD) is not None


def test_load_demo_is_deterministic():
    from django.db import transaction

    def snapshot():
        return list(
            Merchant.objects.order_by("name", "lat", "lng").values_list(
                "name", "lat", "lng", "card_discount_permille"
            )
        )

    with transaction.atomic():
        load_demo()
        first = snapshot()
        transaction.set_rollback(True)
    assert Merchant.objects.count() == 0
    load_demo()
    assert snapshot() == first


def test_load_demo_puts_every_household_on_the_register():
    from quarter.people.access import is_registered_resident
    from quarter.people.models import RegisterEntry, Resident

    load_demo()
    donghe = RegisterEntry.objects.filter(community__slug="donghe")
    assert donghe.count() >= 2553
    households = set(
        donghe.exclude(resident__isnull=False).values_list("compound", "address")
    )
    assert len(households) == 1115
    assert RegisterEntry.objects.filter(community__slug="jinxiu").count() >= 7860
    for phone in ("13800000001", "13800000002"):
        resident = Resident.objects.get(phone=phone)
        assert resident.is_verified and is_registered_resident(resident)
    pan = Resident.objects.get(phone="13800000001")
    assert (pan.household.compound.name, pan.household.address) == (
        "锦绣华庭",
        "3栋2单元501",
    )
    assert pan.birth_year == 1956 and "19560312" not in pan.id_masked
