"""Every URL and API operation, requested by every role, against the matrix.

The table in docs/access-matrix.md is the contract: one row per URL pattern
(by name) and per API operation (by method and path), one column per role.
This test

1. enumerates every URL pattern of the Django resolver and every operation of
   the OpenAPI document and fails when one has no row (or a row names a URL
   that no longer exists);
2. requests each row's path as each role, each request inside a savepoint
   that is rolled back, so one role's POST never changes what the next sees;
3. compares the status with the cell and reports every mismatch at once.

Objects in paths are community A's (district X): `{merchant_A}`, `{round_A}`,
`{campaign_A}`, `{settlement_A}`, `{redemption_A}`, `{held_A}`, `{slug_A}`,
`{district_X}`.
The admin's per-model pages are covered by test_backoffice.py, which walks
every registered ModelAdmin.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from quarter.benefits.tests.factories import meal_rule
from quarter.card.models import Visit
from quarter.core import clock
from quarter.vouchers.models import Redemption
from tests.access.worlds import build_two_worlds

pytestmark = pytest.mark.django_db

MATRIX = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"
ROLES = [
    "anon",
    "res_A",
    "res_B",
    "mer_A",
    "mer_B",
    "op_A",
    "op_B",
    "iss_X",
    "iss_Y",
    "dep_A",
    "plan_X",
    "admin",
]
# Patterns not requested one by one: the admin's per-model pages (walked by
# test_backoffice.py for every registered ModelAdmin) and the API's own
# routes, which are checked operation by operation from the OpenAPI document.
SKIP_PREFIXES = ("admin/", "api/")
KEEP = {"admin:index", "admin:login", "api:openapi-json", "api:openapi-view"}

# Bodies sent with POST rows: valid enough to reach the permission decision.
BODIES = {
    "set_language": {"language": "zh-hans", "next": "/"},
    "elder:toggle": {"on": "1", "next": "/"},
    "login": {"username": "nobody", "password": "wrong-password"},
    "signup": {},
    "real_name": {},
    "merchant_apply": {},
    "console_discounts": {"card_discount": "9", "vip_discount": ""},
    "console_hours": {"d0_open1": "07:00", "d0_close1": "21:00"},
    "console_services": {"s0_name": "豆浆", "s0_price": "3"},
    "console_status": {"status": "open"},
    "console_exception": {"date": "2099-01-01", "closed": "on"},
    "console_profile": {"name": "新店名"},
    "planning_what_if": {"type": "pharmacy", "lat": "30.26", "lng": "120.17"},
    "board:answer": {"status": "received", "reply": "收到,正在了解"},
    "board:shop_notice": {"kind": "promotion", "title": "本周特价"},
    "board:desk_notice": {"kind": "community", "title": "通知"},
    "board:notice_reject": {"reason": "内容不实"},
    "board:job_reject": {"reason": "缺少地点"},
    "vouchers:till_quote": {"code": "000000", "bill": "45"},
    "vouchers:till_redeem": {"code": "000000", "bill": "45", "key": "k"},
    "vouchers:till_refund": {"amount": "1"},
    "vouchers:till_visit_refund": {"amount": "1"},
    "vouchers:review_decide": {"decision": "release", "reason": "核实无误"},
    "vouchers:settle": {"business_date": "2000-01-01"},
    "vouchers:round_stop": {"reason": "测试停止"},
    "reviews:reply": {"reply": "谢谢光临"},
    "reviews:hide": {"reason": "含有广告"},
    "reviews:remove": {"reason": "测试清退"},
    "referrals:merchant_promotion": {"rate": "3"},
    "civic:report_reject": {"reason": "重复上报"},
    "civic:report_reopen": {"reason": "还是不亮"},
    "api POST /api/coverage/communities/{slug}/what-if": {
        "type": "pharmacy",
        "lat": 30.26,
        "lng": 120.17,
    },
    "api POST /api/vouchers/till/{merchant_id}/quote": {
        "code": "000000",
        "bill_fen": 4500,
    },
    "api POST /api/vouchers/till/{merchant_id}/redeem": {
        "code": "000000",
        "bill_fen": 4500,
        "key": "k",
    },
    "api POST /api/vouchers/redemptions/{redemption_id}/refund": {"amount_fen": 1},
    "api POST /api/card/till/{merchant_id}/quote": {"code": "000000", "bill_fen": 6000},
    "api POST /api/card/till/{merchant_id}/confirm": {
        "code": "000000",
        "bill_fen": 6000,
        "key": "k",
        "expected_payable_fen": 3300,
    },
    "api POST /api/card/visits/{visit_id}/refund": {"amount_fen": 1},
    "api POST /api/vouchers/redemptions/{redemption_id}/review": {
        "release": True,
        "reason": "核实无误",
    },
}


def read_matrix() -> list[dict]:
    """Parse the rows of the table under '## Matrix' in docs/access-matrix.md."""
    rows, header = [], None
    text = MATRIX.read_text(encoding="utf-8").split("\n## Matrix\n", 1)[1]
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    assert header[:3] == ["key", "method", "path"], header
    assert header[3 : 3 + len(ROLES)] == ROLES, header
    return rows


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), full)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name or (prefix + str(p.pattern))


def url_keys() -> set[str]:
    """Every URL pattern's key: its name (namespace:name), or its route if unnamed."""
    keys = set()
    for route, key in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) and key not in KEEP:
            continue
        keys.add(key)
    return keys


def api_keys() -> set[str]:
    from quarter.api import api

    schema = api.get_openapi_schema()
    return {
        f"api {method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_url_and_api_operation_has_a_row_and_every_row_a_url():
    keys = {row["key"] for row in read_matrix()}
    wanted = url_keys() | api_keys()
    assert not wanted - keys, f"add these to {MATRIX.name}: {sorted(wanted - keys)}"
    assert not keys - wanted, f"rows without a URL: {sorted(keys - wanted)}"


# --- requesting every row as every role -------------------------------------------


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    a, b, root = build_two_worlds()
    for side in (a, b):
        side.world.issuer_user.is_staff = False  # as in the demo: issuers use pages
        side.world.issuer_user.save(update_fields=["is_staff"])
    held = Redemption.objects.filter(merchant=a.world.shop).get()
    clock.freeze(clock.now() + dt.timedelta(hours=1))
    users = {
        "anon": None,
        "res_A": a.resident.user,
        "res_B": b.resident.user,
        "mer_A": a.world.cashier,
        "mer_B": b.world.cashier,
        "op_A": a.world.operator_user,
        "op_B": b.world.operator_user,
        "iss_X": a.world.issuer_user,
        "iss_Y": b.world.issuer_user,
        "dep_A": a.world.civic.staff,
        "plan_X": _district_planner(a.world.district),
        "admin": root,
    }
    values = {
        "merchant_A": a.world.shop.pk,
        "round_A": a.round.pk,
        "campaign_A": a.campaign.pk,
        "settlement_A": a.settlement.pk,
        "redemption_A": held.pk,
        "held_A": held.pk,
        "slug_A": a.world.community.slug,
        "compound_A": a.world.compound.pk,
        "district_X": a.world.district.pk,
        "street_A": a.world.community.street_office_id,
        "household_A": a.resident.household_id,
        "visit_A": Visit.objects.get(redemption=held).pk,
        **{f"{key}_A": pk for key, pk in a.board.items()},
        "report_A": a.world.civic_report.pk,
        "rule_A": meal_rule(a.world, a.campaign, enable=False).pk,
    }
    from quarter.reviews.tests.factories import matrix_objects

    values.update(matrix_objects(a))  # rating_A, evaluation_A, result_A
    from quarter.referrals.tests.factories import matrix_values

    values.update(matrix_values(a))  # {refcode_A}, {withdrawal_A}
    from quarter.surveys.tests.factories import matrix_values as survey_values

    values.update(survey_values(a))  # {wave_A}, {poster_A}
    # One redemption of A held for review, so review pages have work to show.
    Redemption.objects.filter(pk=held.pk).update(status="held", settlement=None)
    return users, values


def _district_planner(district):
    from quarter.people.models import Planner, User

    user = User.objects.create_user("planner_x", password="x-Quarter-2026")
    user.groups.add(Group.objects.get_or_create(name="planner")[0])
    Planner.objects.create(user=user, district=district, organisation="X区规划")
    return user


def _expected_ok(cell: str, resp) -> bool:
    if cell == "login":
        return resp.status_code == 302 and "login" in resp.get("Location", "")
    if cell == "302":
        return resp.status_code == 302 and "login" not in resp.get("Location", "")
    return str(resp.status_code) == cell


def _request(client, row, path):
    method = row["method"].upper()
    key = row["key"]
    if method == "GET":
        return client.get(path)
    body = BODIES.get(key, {})
    if key.startswith("api "):
        return client.post(path, json.dumps(body), content_type="application/json")
    return client.post(path, body)


def _fill(path: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def test_every_role_gets_the_answer_the_matrix_says(world, client):
    users, values = world
    rows = read_matrix()
    wrong = []
    for row in rows:
        path = _fill(row["path"], values)
        for role in ROLES:
            cell = row[role]
            sid = transaction.savepoint()
            try:
                client.logout()
                if users[role] is not None:
                    client.force_login(users[role])
                resp = _request(client, row, path)
            finally:
                transaction.savepoint_rollback(sid)
            if not _expected_ok(cell, resp):
                where = resp.get("Location", "")
                wrong.append(
                    f"{row['key']:<45} {role:<6} want {cell:<5} got "
                    f"{resp.status_code} {where}"
                )
    assert not wrong, "\n" + "\n".join(wrong)
