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
- the journey: an elderly resident switches on 长辈模式 with the text at 200 %,
  finds a pharmacy by typing 买药 and shows the card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.demo.services import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
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
    """The demo data and the resident's signed-in session (a Django test client login)."""
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
        bypass_csp=True,  # lets the test inject axe-core; the site's own CSP is unchanged
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    if text_percent != 100:
        cdp = context.new_cdp_session(page)
        cdp.send(
            "Page.setFontSizes",
            {"fontSizes": {"standard": 16 * text_percent // 100, "fixed": 13 * text_percent // 100}},
        )
    return context, page


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
    print("HEIGHT", path, page.evaluate("[document.documentElement.scrollHeight, document.body.scrollHeight, document.querySelector('main').getBoundingClientRect().bottom]"))


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ' (' + v.impact + '): ' +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary.replace(/\\s+/g, ' ')).join(' | '));
        }""",
        WCAG,
    )
    return found


# Sizes of everything one can tap, measured in the page. A link inside a sentence
# (text on either side in the same block) is exempt, as WCAG 2.5.5 allows; map
# markers are exempt because the page lists the same shops as cards.
TARGETS_JS = """(min) => {
  const sel = 'a[href], button, select, input:not([type=hidden]), textarea, summary, [role=button], [tabindex]:not([tabindex="-1"])';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('.leaflet-marker-pane, .leaflet-control-attribution')) continue;
    let box = el;
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) box = el.closest('label');
    const r = box.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (el.matches('a') && style.display === 'inline') {
      const block = el.parentElement.closest('p, li, dd, td, div, span.meta');
      const own = el.textContent.trim();
      const around = block ? block.textContent.replace(own, '').trim() : '';
      if (around.length > 0) continue;  // a link inside running text
    }
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      small.push((el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className) + ' "' +
        (el.textContent || el.value || '').trim().slice(0, 12) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height));
    }
  }
  return small;
}"""


SMALL_TEXT_JS = """(min) => {
  const small = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('.sr-only, .leaflet-container, script, style')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min - 0.01) small.add(el.tagName.toLowerCase() + '.' + el.className + ' ' + size + 'px "' + node.textContent.trim().slice(0, 10) + '"');
  }
  return [...small];
}"""


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
                "small targets": page.evaluate(TARGETS_JS, minimum),
                "small text": page.evaluate(SMALL_TEXT_JS, 18) if elder else [],
            }
            found = {k: v for k, v in found.items() if v}
            if found:
                problems[name] = found
    finally:
        context.close()
    assert not problems, _report(problems)


OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
  for (const el of document.querySelectorAll('main *, header *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || el.closest('.leaflet-container, .table-scroll, .role-row, .photos')) continue;
    if (r.right > width + 1) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '.' + el.className) + ' ends at ' + Math.round(r.right));
    const cs = getComputedStyle(el);
    if (!el.matches('input, textarea, select') && (cs.overflowX === 'hidden' || cs.overflowX === 'clip') && el.scrollWidth > el.clientWidth + 1)
      out.push(el.tagName.toLowerCase() + '.' + el.className + ' cuts off its content');
  }
  return out.slice(0, 8);
}"""


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_text_at_200_percent_never_scrolls_sideways_at_390px(browser, site, elder):
    context, page = _page(browser, site, elder=elder, text_percent=200)
    problems = {}
    try:
        for name, path in site.pages.items():
            _open(page, site, path)
            root = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
            assert root >= (36 if elder else 32), f"{name}: the text setting was ignored ({root}px)"
            out = page.evaluate(OVERFLOW_JS)
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
                shot(page, f"a11y-200pct-{'elder' if elder else 'normal'}-{name}")
    finally:
        context.close()
    assert not problems, _report(problems)
