"""Planners on every planning URL, against the planners' table of the matrix.

The table '## Planners …' in docs/access-matrix.md names, for each planning
URL, what a district-wide planner of X, a street planner of A's street, a
street planner of another street of X and a district planner of Y get.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from quarter.people.models import Planner, User
from quarter.places.models import StreetOffice
from tests.access.test_matrix import (  # noqa: F401 - the world fixture
    MATRIX,
    _expected_ok,
    _fill,
    _request,
    world,
)

pytestmark = pytest.mark.django_db

PLANNERS = ["pl_X", "pl_S", "pl_S2", "pl_Y"]
METHODS = {"planning_what_if": "POST", "planning_recompute": "POST"}


def read_planner_table() -> list[dict]:
    text = MATRIX.read_text(encoding="utf-8")
    section = text.split("\n## Planners", 1)[1].split("\n## ", 1)[0]
    rows, header = [], None
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(cells[0]) <= {"-", ":"}:
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    assert header == ["key", "path", *PLANNERS], header
    return rows


def _planners(values) -> dict[str, User]:
    from quarter.places.models import District

    district_x = District.objects.get(pk=values["district_X"])
    street_a = StreetOffice.objects.get(pk=values["street_A"])
    other = StreetOffice.objects.create(name="另一街道", district=district_x)
    district_y = District.objects.exclude(pk=district_x.pk).first()
    made = {}
    for role, district, street in (
        ("pl_X", district_x, None),
        ("pl_S", district_x, street_a),
        ("pl_S2", district_x, other),
        ("pl_Y", district_y, None),
    ):
        user = User.objects.create_user(f"matrix_{role.lower()}", password="x")
        Planner.objects.create(user=user, district=district, street_office=street)
        made[role] = user
    return made


def test_every_planning_url_has_a_planner_row():
    from tests.access.test_matrix import url_keys

    keys = {row["key"] for row in read_planner_table()}
    planning = {k for k in url_keys() if k.startswith("planning_")}
    assert planning == keys


def test_planners_get_what_the_table_says(world, client):  # noqa: F811
    _, values = world
    users = _planners(values)
    wrong = []
    for row in read_planner_table():
        path = _fill(row["path"], values)
        request_row = {"key": row["key"], "method": METHODS.get(row["key"], "GET")}
        for role in PLANNERS:
            sid = transaction.savepoint()
            try:
                client.force_login(users[role])
                resp = _request(client, request_row, path)
            finally:
                transaction.savepoint_rollback(sid)
            if not _expected_ok(row[role], resp):
                wrong.append(
                    f"{row['key']:<32} {role:<6} want {row[role]} got "
                    f"{resp.status_code}"
                )
    assert not wrong, "\n" + "\n".join(wrong)
