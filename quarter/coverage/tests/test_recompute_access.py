"""Who may have walking reach recomputed: every recompute verb checks its actor."""

from __future__ import annotations

import inspect

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from quarter.core.actors import SYSTEM
from quarter.core.errors import PermissionDenied
from quarter.coverage import services
from quarter.coverage.models import CoverageRun
from quarter.coverage.tests.factories import (
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)
from quarter.people.models import Planner, User
from quarter.places.tests.factories import make_owner

pytestmark = pytest.mark.django_db

RECOMPUTE_VERBS = [
    services.ensure_coverage,
    services.coverage_for_page,
    services.refresh_community,
    services.refresh_for_merchant,
    services.refresh_for_merchants,
    services.refresh_after_commit,
    services.refresh_communities_on,
]


def test_every_recompute_verb_takes_a_required_actor():
    for verb in RECOMPUTE_VERBS:
        actor = inspect.signature(verb).parameters["actor"]
        assert actor.default is inspect.Parameter.empty, verb.__name__


@pytest.fixture
def world():
    mine = make_community("东河社区", slug="donghe")
    other = make_community("西河社区", slug="xihe")
    make_compound(mine, "东苑")
    shop = make_merchant(mine, type_code="pharmacy")
    other_shop = make_merchant(other, type_code="pharmacy")
    return mine, other, shop, other_shop


def test_strangers_cannot_recompute_a_community(world):
    mine, other, _shop, _ = world
    for stranger in (
        None,
        AnonymousUser(),
        make_operator(other),
        User.objects.create_user("jumin", password="x-Quarter-2026"),
    ):
        for verb in (
            services.ensure_coverage,
            services.coverage_for_page,
            services.refresh_community,
        ):
            with pytest.raises(PermissionDenied):
                verb(actor=stranger, community=mine)
    assert not CoverageRun.objects.filter(community=mine).exists()


def test_operators_planners_and_system_recompute(world):
    mine, _other, _shop, _ = world
    planner = User.objects.create_user("quhua", password="x-Quarter-2026")
    Planner.objects.create(user=planner, district=mine.street_office.district)
    for actor in (make_operator(mine), planner, SYSTEM):
        run = services.refresh_community(actor=actor, community=mine)
        assert run.community == mine
    assert services.ensure_coverage(actor=planner, community=mine) == run


def test_staff_of_another_shop_cannot_trigger_a_shops_refresh(world):
    mine, other, shop, other_shop = world
    services.refresh_community(actor=SYSTEM, community=mine)
    strangers = (make_owner(other_shop), make_operator(other), AnonymousUser())
    for stranger in strangers:
        with pytest.raises(PermissionDenied):
            services.refresh_for_merchant(shop.pk, actor=stranger)
        with pytest.raises(PermissionDenied), transaction.atomic():
            services.refresh_after_commit(shop.pk, actor=stranger)
        # One foreign shop among one's own is refused as a whole.
        with pytest.raises(PermissionDenied):
            services.refresh_for_merchants([other_shop.pk, shop.pk], actor=strangers[0])
    services.refresh_for_merchant(shop.pk, actor=make_owner(shop))
    services.refresh_for_merchant(shop.pk, actor=make_operator(mine))
