"""Schemathesis drives every API operation with generated input: no 500, ever."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from quarter.places.tests.factories import make_community, make_compound, make_merchant
from quarter.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def seeded(db):
    community = make_community(slug="donghe")
    make_compound(community)
    make_merchant(community, services=["理发"], card=550, vip=700)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_never_fails_on_generated_input(case, seeded):
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
