"""What the browser journeys share: signing in as a World user, and the
business-type catalogue that transactional tests flush and must put back."""

from __future__ import annotations

import json
from pathlib import Path

from quarter.places.models import BusinessType

PASSWORD = "Quarter-2026!"  # the password quarter.vouchers.tests.factories.World sets
CATALOGUE = (
    Path(__file__).resolve().parents[2] / "quarter/places/data/business_types.json"
)


def login(page, live_server, user) -> None:
    """Sign `user` in through the login form, as a person would."""
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def ensure_catalogue() -> None:
    """Transactional tests flush tables, the migrated catalogue included: reload it."""
    if BusinessType.objects.exists():
        return
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    for order, item in enumerate(data["types"]):
        BusinessType.objects.create(
            code=item["code"],
            name_zh=item["zh"],
            name_en=item["en"],
            tier=item["tier"],
            groupings=item["groupings"],
            osm_tags=item["osm"],
            keywords=item["keywords"],
            sort_order=order,
        )
