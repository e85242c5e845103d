"""Hostile values on the civic form, map filters and Open311: never a 5xx."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quarter.civic.models import Report
from quarter.civic.tests.factories import CivicWorld

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
        "１２",
        "<script>",
        "'; DROP TABLE x;--",
        "2026-13-45T99:99:99Z",
        "🙂" * 5,
        "a" * 5000,
        "%00",
        "open,closed,",
        ",",
        "..",
        "null",
        "true",
    ]
)
FIELDS = ["category", "description", "lat", "lng", "address", "merchant"]
OPEN311 = [
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "jurisdiction_id",
    "lat",
    "long",
    "description",
    "attribute[merchant]",
    "api_key",
]


@pytest.fixture
def cw(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return CivicWorld()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(values=st.fixed_dictionaries({f: HOSTILE for f in FIELDS}))
def test_report_form_never_fails_with_5xx(cw, client, values):
    client.force_login(cw.world.operator_user)
    before = Report.objects.count()
    resp = client.post("/civic/report/", values)
    assert resp.status_code in (302, 400), values
    if resp.status_code == 400:
        assert Report.objects.count() == before


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    values=st.dictionaries(st.sampled_from(OPEN311), HOSTILE, max_size=5),
    fmt=st.sampled_from(["xml", "json"]),
    post=st.booleans(),
)
def test_open311_never_fails_with_5xx(cw, client, values, fmt, post):
    url = f"/open311/v2/requests.{fmt}"
    resp = client.post(url, values) if post else client.get(url, values)
    assert resp.status_code in (200, 400, 403, 404), (values, resp.content[:300])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    values=st.dictionaries(
        st.sampled_from(["community", "category", "status", "overdue"]),
        HOSTILE,
        max_size=4,
    )
)
def test_map_filters_never_fail_with_5xx(cw, client, values):
    resp = client.get("/civic/map/reports.json", values)
    assert resp.status_code in (200, 400), values
