"""The API's own errors share one shape, and the OpenAPI document lists them all."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db
SHAPE = {"code", "field", "message"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return World()


@pytest.fixture
def openapi():
    return Client().get("/api/openapi.json").json()


def _operation(openapi, path: str, method: str) -> dict:
    return openapi["paths"][path][method]


def _assert_error(response, status: int, code: str | None = None, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == SHAPE, body
    assert body["message"]
    if code:
        assert body["code"] == code
    if field:
        assert body["field"] == field
    return body


def test_openapi_lists_error_statuses_of_every_operation(openapi):
    """Each operation declares 400/403/404/405/422, and 401 when it needs a login."""
    error_ref = "#/components/schemas/ApiError"
    assert set(openapi["components"]["schemas"]["ApiError"]["properties"]) == SHAPE
    operations = [
        (path, method, op)
        for path, ops in openapi["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]
    assert len(operations) >= 15
    for path, method, op in operations:
        declared = {int(s) for s in op["responses"]}
        expected = {400, 403, 404, 405, 422}
        if op.get("security"):
            expected.add(401)
        assert expected <= declared, (method, path, sorted(declared))
        for status in declared - {200}:
            schema = op["responses"][str(status)]["content"]["application/json"][
                "schema"
            ]
            assert schema["$ref"] == error_ref, (method, path, status, schema)


def test_unauthenticated_is_401_in_shape(openapi):
    _assert_error(Client().get("/api/vouchers/wallet"), 401, "login_required")
    assert "401" in _operation(openapi, "/api/vouchers/wallet", "get")["responses"]


def test_csrf_failure_is_403_in_shape(world, openapi):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.cashier)
    path = f"/api/vouchers/till/{world.shop.pk}/quote"
    response = client.post(
        path, {"code": "123456", "bill_fen": 100}, content_type="application/json"
    )
    _assert_error(response, 403, "csrf_failed")
    op = _operation(openapi, "/api/vouchers/till/{merchant_id}/quote", "post")
    assert "403" in op["responses"]


def test_service_refusal_is_403_in_shape(world):
    round_ = world.round(world.campaign(), packets=2)
    client = Client()
    client.force_login(world.cashier)
    response = client.get(f"/api/vouchers/rounds/{round_.pk}/stats")
    body = _assert_error(response, 403)
    assert body["code"] != "forbidden"  # the service's own code


def test_unknown_path_and_missing_object_are_404_in_shape(world):
    client = Client()
    client.force_login(world.cashier)
    _assert_error(client.get("/api/no-such-thing"), 404, "not_found")
    _assert_error(client.get("/api/vouchers/rounds/999999"), 404)
    response = client.post(
        "/api/vouchers/till/999999/quote",
        {"code": "123456", "bill_fen": 100},
        content_type="application/json",
    )
    _assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("code=123456&bill_fen=1", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/json"),
    ],
)
def test_unparsable_body_is_400_in_shape(world, body, content_type):
    client = Client()
    client.force_login(world.cashier)
    response = client.post(
        f"/api/vouchers/till/{world.shop.pk}/quote", body, content_type=content_type
    )
    _assert_error(response, 400, "unparsable_body", field="body")


def test_validation_error_is_422_with_field_in_chinese(world):
    client = Client()
    client.force_login(world.cashier)
    response = client.post(
        f"/api/vouchers/till/{world.shop.pk}/quote",
        {"code": "123456"},
        content_type="application/json",
    )
    body = _assert_error(response, 422, "invalid_input", field="bill_fen")
    assert "必填" in body["message"]
    response = Client().get("/api/vouchers/rounds/abc")
    body = _assert_error(response, 422, field="round_id")
    assert body["message"].endswith("应为整数")


def test_wrong_method_is_405_in_shape(openapi):
    response = Client().delete("/api/vouchers/rounds")
    _assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert "405" in _operation(openapi, "/api/vouchers/rounds", "get")["responses"]


def _forbidden_records(caplog):
    return [
        r
        for r in caplog.records
        if getattr(r, "status_code", None) == 403 or r.name == "quarter.security"
    ]


def test_api_refusal_is_logged_as_one_line(world, caplog):
    round_ = world.round(world.campaign(), packets=2)
    client = Client()
    client.force_login(world.cashier)
    with caplog.at_level(logging.INFO):
        client.get(f"/api/vouchers/rounds/{round_.pk}/stats")
    (record,) = _forbidden_records(caplog)
    assert record.name == "quarter.security" and record.exc_info is None
    message = record.getMessage()
    assert f"path=/api/vouchers/rounds/{round_.pk}/stats" in message
    assert f"user={world.cashier.pk}" in message and "code=" in message
    assert "\n" not in message


def test_page_refusals_are_logged_as_one_line_without_traceback(world, caplog):
    """Django's PermissionDenied, a DomainError 403 and a CSRF failure on pages."""
    from quarter.places.tests.factories import make_community, make_operator

    other = make_operator(make_community(slug="elsewhere"))
    client = Client()
    client.force_login(other)
    cases = [
        (f"/planning/{world.community.slug}/", "permission_denied"),
        (f"/vouchers/till/{world.shop.pk}/", None),
    ]
    for path, code in cases:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = client.get(path)
        assert response.status_code == 403
        (record,) = _forbidden_records(caplog)
        assert record.name == "quarter.security", record.getMessage()
        assert record.exc_info is None
        assert f"path={path} user={other.pk} code=" in record.getMessage()
        if code:
            assert record.getMessage().endswith(f"code={code}")

    caplog.clear()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(other)
    with caplog.at_level(logging.INFO):
        response = strict.post(f"/vouchers/till/{world.shop.pk}/quote", {})
    assert response.status_code == 403
    (record,) = _forbidden_records(caplog)
    assert record.getMessage().endswith("code=csrf_failed") and record.exc_info is None
