"""Schemathesis drives every API operation with generated input: no 500, ever."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from quarter.places.tests.factories import make_community, make_compound, make_merchant
from quarter.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly would close the test's connection at request end,
    as Django's own test client avoids by the same disconnection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, keep_test_connection):
    community = make_community(slug="donghe")
    make_compound(community)
    make_merchant(community, services=["理发"], card=550, vip=700)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_on_generated_input(case, seeded):
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
