"""Stored XSS: names merchants and operators write never run as script.

A shop, a second shop, a compound, the community and a voucher campaign and
round are named with HTML payloads. Every page that shows them is opened, every
map marker is hovered and clicked, and the test proves that no payload ran
(`window.__xss` stays undefined), that the payload shows as plain text, and that
the page raised no Content-Security-Policy violation and no script error.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.people.models import User
from quarter.places.services import index_merchant
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.models import Round
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Quarter-2026!"

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = "<script>window.__xss=2</script>"
SVG = "<svg onload=window.__xss=3>"
SHOP = IMG + SCRIPT + "阿明理发店"
SHOP2 = SVG + IMG + "早餐铺"
COMPOUND = IMG + SCRIPT + "河滨公寓"
COMMUNITY = IMG + "东河"
CAMPAIGN = IMG + SCRIPT + "消费券"
ROUND = SVG + "第一轮"

# Registered before any page script: counts payloads that ran and records every
# CSP violation the page raises.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "") + " " +
    (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


@pytest.fixture(autouse=True)
def _db_engine():
    use_engine(DatabaseEngine())
    yield
    use_engine(None)


@pytest.fixture
def world():
    """A community whose every user-written name is a script payload."""
    world = World()
    world.community.name = COMMUNITY
    world.community.save()
    world.compound.name = COMPOUND
    world.compound.save()
    world.shop.name = SHOP
    world.shop.save()
    index_merchant(world.shop)
    second, second_cashier = world.merchant(SHOP2)
    second.lat, second.lng = 30.262, 120.172
    second.save()
    index_merchant(second)
    world.second = second
    campaign = world.campaign()
    campaign.name = CAMPAIGN
    campaign.save()
    world.pledge(campaign)
    world.pledge(campaign, shop=second, cashier=second_cashier)
    round_ = world.round(
        campaign, packets=5, preset="hz2022", release_in=dt.timedelta(seconds=1)
    )
    Round.objects.filter(pk=round_.pk).update(name=ROUND)
    world.campaign_obj = campaign
    world.round_obj = Round.objects.get(pk=round_.pk)
    world.resident_obj = world.resident()
    time.sleep(1.1)
    claim_packet(actor=world.resident_obj.user, round_=world.round_obj)
    return world


class Watch:
    """Collect page errors and console errors of one browser page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.add_init_script(WATCH)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror {exc}"))
        page.on("console", self._console)

    def _console(self, msg) -> None:
        # The browser's own favicon probe (the admin has no icon) is no script.
        if msg.type == "error" and not msg.location.get("url", "").endswith(
            "/favicon.ico"
        ):
            self.errors.append(f"console {msg.text} {msg.location}")

    def check(self, page, where: str) -> None:
        ran = page.evaluate("window.__xss")
        violations = page.evaluate("window.__violations || []")
        assert ran is None, f"{where}: a payload ran (window.__xss={ran})"
        assert violations == [], f"{where}: CSP violations {violations}"
        assert self.errors == [], f"{where}: script errors {self.errors}"


def login(page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state("networkidle")


def touch_markers(page, container: str) -> list[str]:
    """Hover and click every marker of a map; return the labels that opened."""
    labels = []
    markers = page.locator(
        f"{container} path.leaflet-interactive, {container} .leaflet-marker-icon"
    )
    for i in range(markers.count()):
        marker = markers.nth(i)
        marker.dispatch_event("mouseover")
        marker.dispatch_event("click")
        for box in page.locator(
            ".leaflet-tooltip, .leaflet-popup-content"
        ).all_inner_texts():
            labels.append(box)
        marker.dispatch_event("mouseout")
    return labels


def visit(page, live_server, watch: Watch, path: str, *, shows: list[str]) -> None:
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    for text in shows:
        expect(page.locator("body")).to_contain_text(text)
    watch.check(page, path)


def test_resident_pages_show_payload_names_as_text(page, live_server, world):
    watch = Watch(page)
    slug = world.community.slug
    visit(page, live_server, watch, f"/map/?community={slug}", shows=[COMMUNITY])
    expect(page.locator("#map")).to_have_attribute("data-count", "2")
    labels = " ".join(touch_markers(page, "#map"))
    for name in (SHOP, SHOP2, COMPOUND):
        assert name in labels, f"map label missing {name!r}: {labels!r}"
    shot(page, "xss-resident-map")
    watch.check(page, "map markers")

    visit(page, live_server, watch, "/search/?q=阿明", shows=[SHOP])
    visit(page, live_server, watch, "/", shows=[])
    visit(page, live_server, watch, f"/merchants/{world.shop.pk}/", shows=[SHOP])
    labels = " ".join(touch_markers(page, "#merchant-map"))
    assert SHOP in labels
    watch.check(page, "merchant marker")

    login(page, live_server, world.resident_obj.user)
    visit(page, live_server, watch, "/vouchers/", shows=[CAMPAIGN])
    round_page = f"/vouchers/rounds/{world.round_obj.pk}/"
    visit(page, live_server, watch, round_page, shows=[ROUND])
    visit(page, live_server, watch, "/vouchers/wallet/", shows=[CAMPAIGN, SHOP])
    expect(page.locator("#wallet-map .leaflet-interactive").first).to_be_visible()
    labels = " ".join(touch_markers(page, "#wallet-map"))
    assert SHOP in labels and SHOP2 in labels, labels
    shot(page, "xss-wallet-map")
    watch.check(page, "wallet markers")
    visit(page, live_server, watch, "/me/card/", shows=[COMPOUND])

    # Handlers moved out of inline attributes still work: the language switch.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.check(page, "language switch")


def test_back_office_pages_show_payload_names_as_text(page, live_server, world):
    watch = Watch(page)
    slug = world.community.slug
    login(page, live_server, world.operator_user)
    visit(page, live_server, watch, f"/planning/{slug}/", shows=[COMMUNITY, COMPOUND])
    expect(page.locator("#planning-map")).to_have_attribute("data-ready", "1")
    labels = " ".join(touch_markers(page, "#planning-map"))
    for name in (SHOP, SHOP2, COMPOUND):
        assert name in labels, f"planning label missing {name!r}: {labels!r}"
    shot(page, "xss-planning-map")
    watch.check(page, "planning markers")
    visit(page, live_server, watch, f"/planning/{slug}/print/", shows=[COMPOUND])
    visit(page, live_server, watch, "/vouchers/review/", shows=[])

    page.context.clear_cookies()
    login(page, live_server, world.cashier)
    visit(page, live_server, watch, "/vouchers/till/", shows=[SHOP])
    visit(page, live_server, watch, f"/vouchers/till/{world.shop.pk}/", shows=[SHOP])
    visit(page, live_server, watch, f"/console/{world.shop.pk}/", shows=[SHOP])

    page.context.clear_cookies()
    login(page, live_server, world.issuer_user)
    visit(page, live_server, watch, "/vouchers/issuer/", shows=[CAMPAIGN])
    campaign_page = f"/vouchers/issuer/campaigns/{world.campaign_obj.pk}/"
    visit(page, live_server, watch, campaign_page, shows=[CAMPAIGN, ROUND])
    visit(page, live_server, watch, "/vouchers/issuer/dashboard/", shows=[])
    page.wait_for_function("() => window.Chart && Chart.getChart('lev')")
    watch.check(page, "dashboard charts")


def test_admin_change_lists_show_payload_names_as_text(page, live_server, world):
    admin = User.objects.create_superuser("root", password=PASSWORD)
    watch = Watch(page)
    login(page, live_server, admin)
    for path, shows in [
        ("/admin/", []),
        ("/admin/places/merchant/", [SHOP, SHOP2]),
        (f"/admin/places/merchant/{world.shop.pk}/change/", []),
        ("/admin/places/compound/", [COMPOUND]),
        (f"/admin/places/compound/{world.compound.pk}/change/", []),
        ("/admin/places/community/", [COMMUNITY]),
        ("/admin/vouchers/campaign/", [CAMPAIGN]),
        ("/admin/vouchers/round/", [ROUND]),
        (f"/admin/vouchers/round/{world.round_obj.pk}/change/", []),
        ("/admin/vouchers/voucher/", []),
        ("/admin/vouchers/merchantpledge/", [SHOP]),
    ]:
        visit(page, live_server, watch, path, shows=shows)
    # The API documentation (Swagger UI from our static files) runs under the CSP.
    visit(page, live_server, watch, "/api/docs", shows=[])
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("/api/vouchers/rounds")
    shot(page, "xss-api-docs")
    watch.check(page, "api docs")
    # The admin's own scripts work under the CSP: the action bar counts a selection.
    page.goto(f"{live_server.url}/admin/places/merchant/")
    page.locator("input[name=_selected_action]").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")
    shot(page, "xss-admin-merchants")
    watch.check(page, "admin actions")
