"""The access functions and the scope registry alone: SYSTEM, anonymous, roles."""

from __future__ import annotations

import inspect

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from quarter.core import scope
from quarter.core.actors import SYSTEM
from quarter.core.backoffice import QuarterAdminSite
from quarter.core.errors import PermissionDenied
from quarter.coverage import services as coverage_services
from quarter.people.models import LoginAttempt
from quarter.places import access as places_access
from quarter.places import services as places_services
from quarter.places.models import Compound, Merchant
from quarter.places.tests.factories import (
    make_community,
    make_merchant,
    make_operator,
    make_owner,
)

pytestmark = pytest.mark.django_db


def test_system_actor_operates_everywhere_but_works_at_no_till():
    community = make_community()
    shop = make_merchant(community)
    assert places_access.is_operator_of(SYSTEM, community)
    assert not places_access.is_staff_of(SYSTEM, shop)
    with pytest.raises(PermissionDenied):
        places_access.require_staff_of(SYSTEM, shop)


def test_anonymous_and_missing_actor_are_refused_everywhere():
    community = make_community()
    shop = make_merchant(community)
    for nobody in (None, AnonymousUser()):
        assert not places_access.is_operator_of(nobody, community)
        assert not places_access.is_staff_of(nobody, shop)
        with pytest.raises(PermissionDenied):
            places_access.require_operator_of(nobody, community)
        assert scope.limit(Merchant.objects.all(), nobody).count() == 0


def test_operator_and_staff_reach_only_their_own():
    mine, other = make_community(), make_community()
    shop = make_merchant(mine)
    operator = make_operator(mine)
    owner = make_owner(shop)
    assert places_access.is_operator_of(operator, mine)
    assert not places_access.is_operator_of(operator, other)
    assert places_access.is_staff_of(owner, shop)
    assert not places_access.is_operator_of(owner, mine)
    assert list(scope.limit(Merchant.objects.all(), operator)) == [shop]


def test_public_verbs_take_a_required_actor():
    """No public service of places or the network import can be called without one."""
    verbs = [
        places_services.apply_for_admission,
        places_services.approve_merchant,
        places_services.reject_merchant,
        places_services.remove_merchant,
        places_services.suspend_merchant,
        places_services.reinstate_merchant,
        places_services.update_merchant_profile,
        places_services.set_merchant_discounts,
        places_services.set_weekly_hours,
        places_services.add_opening_exception,
        places_services.set_merchant_status,
        places_services.log_search,
        coverage_services.import_network,
    ]
    for verb in verbs:
        actor = inspect.signature(verb).parameters["actor"]
        assert actor.default is inspect.Parameter.empty, verb.__name__


def test_import_of_shops_refuses_an_operator_of_another_community(tmp_path):
    community = make_community()
    stranger = make_operator(make_community())
    with pytest.raises(PermissionDenied):
        coverage_services.import_network(
            path=tmp_path / "none.osm",
            actor=stranger,
            community=community,
            import_shops=True,
        )


def test_a_model_in_the_back_office_without_a_scope_fails_the_system_check():
    site = QuarterAdminSite(name="probe")
    site.register(LoginAttempt)
    errors = [e for e in site.check(None) if e.id == "quarter.E001"]
    assert errors and "people.LoginAttempt" in errors[0].msg


def test_declaring_a_model_twice_with_another_scope_is_refused():
    with pytest.raises(ImproperlyConfigured):
        scope.declare(Compound, superuser_only=True)
