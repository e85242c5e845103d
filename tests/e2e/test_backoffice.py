"""Browser journey of the back office: an operator stays inside their own community."""

import pytest
from playwright.sync_api import expect

from conftest import shot
from quarter.places.models import Compound, CompoundEvent
from quarter.places.tests.factories import (
    make_community,
    make_compound,
    make_merchant,
    make_operator,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-strong-pass-2026"


def test_operator_edits_own_compound_and_cannot_move_it_to_another_community(
    page, live_server
):
    donghe = make_community(name="东河社区", slug="donghe")
    make_community(name="锦绣社区", slug="jinxiu")
    compound = make_compound(donghe, name="利兹城市公寓", households=200)
    make_merchant(donghe, name="阿明理发店")
    make_operator(donghe, username="operator_donghe")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "operator_donghe")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/places/compound/{compound.pk}/change/")
    options = page.locator("#id_community option")
    texts = [t.strip() for t in options.all_inner_texts()]
    assert "东河社区" in texts and "锦绣社区" not in texts
    page.fill("#id_households", "210")
    shot(page, "backoffice-compound-own-community-only")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_be_visible()
    assert Compound.objects.get(pk=compound.pk).households == 210
    event = CompoundEvent.objects.get(compound=compound)
    assert (event.before, event.after) == ({"households": 200}, {"households": 210})

    page.goto(f"{live_server.url}/admin/places/merchant/")
    expect(page.locator("#result_list")).to_contain_text("阿明理发店")
    # The community filter lists only communities with rows the operator sees.
    expect(page.locator("#changelist-filter")).not_to_contain_text("锦绣社区")
    shot(page, "backoffice-merchants-own-community")
