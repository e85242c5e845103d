"""Accessibility of every resident page, in the normal view and in 长辈模式.

One Chromium, the demo data loaded once for the module (the demo's 东河 resident
13800000002, who has a card, vouchers, visits and messages), one browser page per
check:

- axe-core (npm, pinned in package.json) finds no serious or critical WCAG 2.1 A/AA
  violation on any resident page, in both modes;
- with the browser's text set to 200 % (Chromium's own default font size, as a
  phone's larger-text setting does) no page scrolls sideways at 390 px, the 搜索
  button stays on screen and the card's details are not cut off;
- every control is at least 44 × 44 CSS px (60 × 60 in 长辈模式), and 长辈模式 text
  is at least 18 px;
- every form field's outline is 3:1 against the page, and fields for phone
  numbers, codes and amounts bring up the number keypad (with autofill for
  phone numbers), on the resident pages, the sign-in, a shop's application,
  console and till;
- the journey: an elderly resident switches on 长辈模式 with the text at 200 %,
  finds a pharmacy by typing 买药 and shows the card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, shot
from quarter.demo.services import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PROBES = Path(__file__).with_name("accessibility_probes.js")
RESIDENT = "13800000002"  # 东河社区 利兹城市公寓 (README's second resident)
PHONE = {"width": 390, "height": 844}
ELDER_COOKIE = "quarter_elder"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class Site:
    url: str
    pages: dict[str, str]  # name -> path of every resident page
    storage: dict  # the signed-in resident's cookies


def _resident_paths() -> dict[str, str]:
    from quarter.board.models import Notice
    from quarter.places.models import Merchant
    from quarter.vouchers.models import Round

    pharmacy = Merchant.objects.get(name="建国北路药房")
    upcoming = (
        Round.objects.filter(release_at__gt=dt.datetime.now(dt.UTC))
        .order_by("release_at")
        .first()
    )
    notice = (
        Notice.objects.filter(status="published", community__slug="donghe")
        .order_by("-pk")
        .first()
    )
    paths = {
        "home": "/",
        "search": "/search/?q=" + "买药",
        "merchant": f"/merchants/{pharmacy.pk}/",
        "map": "/map/",
        "rounds": "/vouchers/",
        "countdown": f"/vouchers/rounds/{upcoming.pk}/",
        "wallet": "/vouchers/wallet/",
        "card": "/me/card/",
        "visits": "/me/visits/",
        "notifications": "/me/notifications/",
        "board": "/board/",
        "jobs": "/board/jobs/",
        "suggestions": "/board/suggestions/",
        "suggestion_new": "/board/suggestions/new/",
        "reports": "/civic/mine/",
        "report_new": "/civic/report/",
        "benefits": "/me/benefits/",
        "referrals": "/referrals/me/",
    }
    if notice is not None:
        paths["notice"] = f"/board/notices/{notice.pk}/"
    return paths


@pytest.fixture
def site(live_server):
    """The demo data and the resident's session (signed in by a test client)."""
    from django.test import Client

    from quarter.demo.services import load_demo

    load_demo()
    client = Client()
    assert client.login(username=RESIDENT, password=DEMO_PASSWORD)
    host = live_server.url.split("//")[1].split(":")[0]
    session = client.cookies["sessionid"].value
    storage = {
        "cookies": [
            {
                "name": "sessionid",
                "value": session,
                "domain": host,
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
            }
        ],
        "origins": [],
    }
    return Site(url=live_server.url, pages=_resident_paths(), storage=storage)


def _page(browser, site: Site, *, elder: bool, text_percent: int = 100):
    """A phone-sized page of the signed-in resident, optionally in 长辈模式 with
    the browser's own text size (its default font size) at `text_percent`."""
    storage = dict(site.storage)
    host = site.url.split("//")[1].split(":")[0]
    storage["cookies"] = [
        c for c in storage["cookies"] if c["name"] != ELDER_COOKIE
    ] + [
        {
            "name": ELDER_COOKIE,
            "value": "1" if elder else "0",
            "domain": host,
            "path": "/",
            "expires": -1,
            "httpOnly": True,
            "secure": False,
            "sameSite": "Lax",
        }
    ]
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        storage_state=storage,
        # Lets the test inject axe-core; the site's own CSP is unchanged.
        bypass_csp=True,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    if text_percent != 100:
        cdp = context.new_cdp_session(page)
        cdp.send(
            "Page.setFontSizes",
            {
                "fontSizes": {
                    "standard": 16 * text_percent // 100,
                    "fixed": 13 * text_percent // 100,
                }
            },
        )
    return context, page


def _screen(page, name: str) -> None:
    """What the phone's screen shows (the top of the page), as the resident sees it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _report(problems: dict) -> str:
    lines = []
    for name, found in problems.items():
        items = found.items() if isinstance(found, dict) else [("", found)]
        for kind, what in items:
            lines.extend(f"{name} {kind}: {w}" for w in what)
    return "\n" + "\n".join(lines)


def _open(page, site: Site, path: str) -> None:
    page.goto(site.url + path)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(PROBES))


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ' (' + v.impact + '): ' +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' +
                     n.failureSummary.replace(/\\s+/g, ' ')).join(' | '));
        }""",
        WCAG,
    )
    return found


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_resident_page_passes_axe_with_big_enough_targets(browser, site, elder):
    """axe-core: no serious/critical violation; every control ≥ 44 px (≥ 60 px
    in 长辈模式); in 长辈模式 no text under 18 px."""
    minimum = 60 if elder else 44
    context, page = _page(browser, site, elder=elder)
    problems = {}
    try:
        for name, path in site.pages.items():
            _open(page, site, path)
            assert page.locator("html.elder").count() == (1 if elder else 0), name
            found = {
                "axe": _axe(page),
                "faint controls": page.evaluate("a11yProbes.faintControls", 3),
                "keypads": page.evaluate("a11yProbes.keypads()"),
                "small targets": page.evaluate("a11yProbes.smallTargets", minimum),
                "small text": page.evaluate("a11yProbes.smallText", 18)
                if elder
                else [],
            }
            found = {k: v for k, v in found.items() if v}
            if name in ("home", "search", "wallet", "countdown"):
                _screen(page, f"a11y-{'elder' if elder else 'normal'}-{name}")
            if found:
                problems[name] = found
    finally:
        context.close()
    assert not problems, _report(problems)


def test_sign_in_shop_forms_and_till_give_a_phone_the_right_keypad(browser, site):
    """The forms typed on a phone outside the resident pages: signing in, a
    shop's application and its till. Phone numbers get the number keypad and
    autofill, codes and amounts the number keypad, and every field's outline
    is 3:1 against the page (WCAG 1.4.11)."""
    from quarter.places.models import Merchant

    shop = Merchant.objects.get(name="阿明理发店")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems = {}

    def check(name: str) -> None:
        page.add_script_tag(path=str(PROBES))
        found = {
            "faint controls": page.evaluate("a11yProbes.faintControls", 3),
            "keypads": page.evaluate("a11yProbes.keypads()"),
        }
        found = {k: v for k, v in found.items() if v}
        if found:
            problems[name] = found

    try:
        page.goto(f"{site.url}/accounts/login/")
        assert page.locator("input[name=username]").count() == 1
        check("login")
        page.fill("#id_username", "merchant_amin")
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state("networkidle")
        for name, path in (
            ("apply", "/apply/"),
            ("console", f"/console/{shop.pk}/"),
            ("till", f"/vouchers/till/{shop.pk}/"),
        ):
            page.goto(site.url + path)
            page.wait_for_load_state("networkidle")
            check(name)
        assert page.locator("#id_bill").get_attribute("inputmode") in {
            "decimal",
            "numeric",
        }
    finally:
        context.close()
    assert not problems, _report(problems)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_text_at_200_percent_never_scrolls_sideways_at_390px(browser, site, elder):
    context, page = _page(browser, site, elder=elder, text_percent=200)
    problems = {}
    try:
        for name, path in site.pages.items():
            _open(page, site, path)
            root = page.evaluate(
                "parseFloat(getComputedStyle(document.documentElement).fontSize)"
            )
            assert root >= (36 if elder else 32), f"{name}: text setting ignored"
            out = page.evaluate("a11yProbes.overflow()")
            if out:
                problems[name] = out
            if name == "search":
                box = page.locator(".searchbar button").bounding_box()
                assert box["x"] + box["width"] <= PHONE["width"], "搜索 is off screen"
            if name == "card":
                details = page.locator("#community-card dl").bounding_box()
                assert details["x"] >= 0
                assert details["x"] + details["width"] <= PHONE["width"]
            if name in ("home", "search", "card", "merchant", "countdown"):
                _screen(page, f"a11y-200pct-{'elder' if elder else 'normal'}-{name}")
    finally:
        context.close()
    assert not problems, _report(problems)


def test_elderly_resident_with_200_percent_text_finds_a_pharmacy_and_shows_the_card(
    browser, site
):
    from quarter.elder.models import DisplayPreference

    context, page = _page(browser, site, elder=False, text_percent=200)
    try:
        _open(page, site, "/")
        toggle = page.locator("#elder-toggle")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_class("elder")
        expect(page.locator("#elder-toggle")).to_have_attribute("aria-pressed", "true")
        assert DisplayPreference.objects.get(user__username=RESIDENT).elder_mode
        body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert body >= 36 * 1.125  # phone at 200 % (32 px) × 长辈模式
        _screen(page, "elder-journey-1-home")

        page.fill("main input[type=search]", "买药")
        page.locator("main .searchbar button").click()
        page.wait_for_load_state("load")
        hit = page.locator("#result-list li", has_text="建国北路药房")
        expect(hit).to_be_visible()
        expect(hit.locator(".walk")).to_contain_text("慢慢走大约")
        expect(hit.locator(".walk")).to_contain_text("分钟")
        _screen(page, "elder-journey-2-search")
        # The whole card is the link: tapping its address opens the shop.
        hit.locator(".meta").first.click()
        expect(page.locator("#merchant-name")).to_have_text("建国北路药房")
        _screen(page, "elder-journey-3-pharmacy")

        page.locator(".rolebar a", has_text="大家卡").click()
        qr = page.locator("#card-qr")
        expect(qr).to_be_visible()
        expect(qr).to_have_attribute("alt", "大家卡二维码,结账时请收银员扫描")
        expect(page.locator("#community-card")).to_contain_text("朱丽华")
        page.add_script_tag(path=str(PROBES))
        assert page.evaluate("a11yProbes.overflow()") == []
        _screen(page, "elder-journey-4-card")
    finally:
        context.close()

    # Remembered in the profile: a new phone (no cookie) signs in to 长辈模式.
    context, page = _page(browser, site, elder=False)
    try:
        page.context.clear_cookies(name=ELDER_COOKIE)
        _open(page, site, "/me/card/")
        expect(page.locator("html")).to_have_class("elder")
    finally:
        context.close()


def test_countdown_speaks_milestones_and_focus_follows_the_claim(browser, site):
    """The clock is not a live region; only milestones are announced; the claim
    button keeps focus through the opening and focus moves to the result."""
    from quarter.people.models import User
    from quarter.vouchers.models import Round
    from quarter.vouchers.services import campaigns

    template = Round.objects.filter(release_at__gt=dt.datetime.now(dt.UTC)).first()
    release = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=14)
    round_ = campaigns.create_round(
        actor=User.objects.get(username="issuer_hangzhou"),
        campaign=template.campaign,
        name="无障碍测试轮",
        release_at=release,
        claim_closes_at=release + dt.timedelta(days=1),
        valid_from=release,
        valid_until=release + dt.timedelta(days=8),
        packets_total=50,
        coupons=campaigns.coupons_from_preset("hz2022"),
    )
    context, page = _page(browser, site, elder=True)
    try:
        _open(page, site, f"/vouchers/rounds/{round_.pk}/")
        # Record every change to a live region while the clock runs.
        page.evaluate("a11yProbes.watchLiveRegions()")
        assert page.locator("#countdown").get_attribute("role") == "timer"
        assert page.locator("#countdown").get_attribute("aria-live") is None
        button = page.locator("#claim")
        expect(button).to_be_disabled()  # aria-disabled: still focusable
        button.focus()
        expect(button).to_be_enabled(timeout=30_000)
        assert page.evaluate("document.activeElement.id") == "claim"
        page.wait_for_function("window.a11ySpoken.some(t => t.includes('开抢了'))")
        spoken = page.evaluate("window.a11ySpoken")
        assert "还有 10 秒开抢" in spoken
        assert len(spoken) <= 3, spoken  # 10 s, the opening (not every second)
        shot(page, "a11y-countdown-open")
        page.keyboard.press("Enter")
        expect(page.locator("#result")).to_contain_text("领取成功")
        assert page.evaluate("document.activeElement.id") == "result"
        shot(page, "a11y-countdown-claimed")
    finally:
        context.close()
