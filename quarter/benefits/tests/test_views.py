"""免申即享 pages: the rules console answers bad input with 400, residents see why."""

from __future__ import annotations

import pytest

from quarter.benefits import services
from quarter.benefits.models import BenefitRule
from quarter.benefits.tests.factories import DEC_15, meal_rule, meal_world
from quarter.core import clock
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    clock.freeze(DEC_15)
    return meal_world()


def _form(w, campaign, **changes):
    data = {
        "name": "高龄老人助餐券",
        "scope": f"c:{w.community.pk}",
        "subject": "resident",
        "min_age": "70",
        "registered_only": "on",
        "campaign": str(campaign.pk),
        "face": "100",
        "threshold": "100",
        "coupon_count": "1",
        "coupon_business_type": "elderly_care",
        "starts_on": "2026-12-01",
        "recurrence": "monthly",
    }
    data.update(changes)
    return data


def test_rule_form_creates_a_draft_and_redirects_to_its_preview(setup, client):
    w, campaign, *_ = setup
    w.resident(born="19540312")
    client.force_login(w.operator_user)

    resp = client.post("/benefits/rules/", _form(w, campaign))

    rule = BenefitRule.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/benefits/rules/{rule.pk}/"
    assert (rule.state, rule.face_fen, rule.min_age) == ("draft", 10_000, 70)
    page = client.get(resp["Location"]).content.decode()
    assert "符合条件并可发放:1 人" in page
    assert "2026年12月共需 ¥100.00" in page
    assert "居民1"[0] + "*" in page  # masked name, never the whole name
    assert "居民1</td>" not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_age": "200"}, "年龄应在0到120周岁之间"),
        ({"ends_on": "2026-11-30"}, "结束日期不能早于开始日期"),
        ({"face": "1,00"}, "请输入金额"),
        ({"face": "100", "threshold": "50"}, "使用门槛不能低于面值"),
    ],
)
def test_rule_form_answers_bad_input_with_400_and_the_reason(
    setup, client, changes, message
):
    w, campaign, *_ = setup
    client.force_login(w.operator_user)

    resp = client.post("/benefits/rules/", _form(w, campaign, **changes))

    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert not BenefitRule.objects.exists()


def test_rule_form_refuses_another_communitys_compound_with_400(setup, client):
    w, campaign, *_ = setup
    other = World()
    client.force_login(w.operator_user)

    resp = client.post(
        "/benefits/rules/", _form(w, campaign, compound=str(other.compound.pk))
    )

    assert resp.status_code == 400
    assert f"小区“{other.compound.name}”不在本规则适用的范围内" in resp.content.decode()
    assert not BenefitRule.objects.exists()


def test_rule_form_for_another_community_is_refused_403(setup, client):
    w, campaign, *_ = setup
    other = World()
    client.force_login(w.operator_user)

    resp = client.post(
        "/benefits/rules/", _form(w, campaign, scope=f"c:{other.community.pk}")
    )

    # The choice is not offered: the form refuses it before the service does.
    assert resp.status_code == 400
    assert not BenefitRule.objects.exists()


def test_enable_from_the_rule_page_then_residents_see_why(setup, client):
    w, campaign, *_ = setup
    old = w.resident(born="19540312")
    rule = meal_rule(w, campaign, enable=False)
    client.force_login(w.operator_user)

    resp = client.post(f"/benefits/rules/{rule.pk}/state", {"target": "enabled"})
    services.run_grants()

    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.state == "enabled"
    client.force_login(old.user)
    page = client.get("/me/benefits/").content.decode()
    assert "高龄老人助餐券:¥100.00消费券" in page
    assert "您今年满72周岁,符合“70周岁及以上”的条件" in page
    assert "限“养老服务”类商户使用" in page


def test_my_benefits_shows_only_my_own_grants(setup, client):
    w, campaign, *_ = setup
    w.resident(born="19540312")
    young = w.resident(born="19900101")
    meal_rule(w, campaign)
    services.run_grants()
    client.force_login(young.user)

    page = client.get("/me/benefits/").content.decode()

    assert "您暂时还没有自动发放的福利" in page
    assert "高龄老人助餐券" not in page


def test_the_rule_edit_page_is_prefilled_saves_and_refuses_an_enabled_rule(
    setup, client
):
    w, campaign, *_ = setup
    rule = meal_rule(w, campaign, enable=False)
    client.force_login(w.operator_user)
    page = client.get(f"/benefits/rules/{rule.pk}/edit").content.decode()
    assert 'value="高龄老人助餐券"' in page and 'value="100.00"' in page
    resp = client.post(
        f"/benefits/rules/{rule.pk}/edit", _form(w, campaign, min_age="80")
    )
    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.min_age == 80
    detail = client.get(f"/benefits/rules/{rule.pk}/").content.decode()
    assert "修改规则:改了最低年龄" in detail

    services.change_rule_state(actor=w.operator_user, rule=rule, target="enabled")
    refused = client.post(
        f"/benefits/rules/{rule.pk}/edit", _form(w, campaign, min_age="90")
    )
    assert refused.status_code == 409
    assert "请先在规则页暂停" in refused.content.decode()
    rule.refresh_from_db()
    assert rule.min_age == 80
    outsider = World()
    client.force_login(outsider.operator_user)
    assert client.get(f"/benefits/rules/{rule.pk}/edit").status_code == 403
