"""PIPL: masked phones, an audited "显示", the access log, pseudonymous search logs."""

import pytest

from quarter.people.models import AccessLog
from quarter.people.tests.factories import put_on_register, sign_up, valid_id
from quarter.places import services as places
from quarter.places.models import SearchLog
from quarter.places.tests.factories import make_community, make_compound, make_operator

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def resident():
    compound = make_compound(make_community(name="东河社区", slug="donghe"))
    resident = sign_up(PHONE)
    from quarter.people import services

    services.join_household(actor=resident.user, compound=compound, address="1幢101")
    resident.refresh_from_db()
    resident.real_name = "朱丽华"
    resident.save()
    put_on_register(resident, valid_id())
    return resident


@pytest.fixture
def operator(resident):
    return make_operator(resident.household.compound.community, "operator_donghe")


def _pages(resident):
    return [
        "/admin/people/resident/",
        f"/admin/people/resident/{resident.pk}/change/",
        "/admin/people/household/",
        "/admin/people/registerentry/",
        f"/admin/people/registerentry/{resident.register_entry_id}/change/",
    ]


def test_operator_pages_never_show_a_full_phone(client, resident, operator):
    client.force_login(operator)
    for url in _pages(resident):
        response = client.get(url)
        assert response.status_code == 200, url
        assert PHONE not in response.content.decode(), url
    listing = client.get("/admin/people/resident/").content.decode()
    assert "138****5678" in listing and "显示" in listing


def test_admin_pages_never_show_a_full_phone(client, resident, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-Pass-2026")
    client.force_login(admin)
    user_pages = [
        "/admin/people/user/",
        f"/admin/people/user/{resident.user_id}/change/",
    ]
    for url in [*_pages(resident), *user_pages]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert PHONE not in response.content.decode(), url


def test_reveal_phone_needs_a_reason_and_is_logged(client, resident, operator):
    client.force_login(operator)
    url = f"/admin/people/resident/{resident.pk}/phone/"
    page = client.get(url).content.decode()
    assert PHONE not in page and "查看原因" in page
    response = client.post(url, {"reason": ""})
    assert PHONE not in response.content.decode()
    assert AccessLog.objects.count() == 0
    response = client.post(url, {"reason": "电话联系核实住址"}, REMOTE_ADDR="10.1.2.3")
    assert PHONE in response.content.decode()
    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.data, log.reason, log.ip) == (
        operator,
        "view",
        "手机号",
        "电话联系核实住址",
        "10.1.2.3",
    )
    assert f"居民#{resident.pk}" in log.subject and PHONE not in log.subject


def test_reveal_phone_of_another_community_is_not_found(client, resident):
    stranger = make_operator(make_community(name="锦绣社区", slug="jinxiu"), "op_jx")
    client.force_login(stranger)
    response = client.post(
        f"/admin/people/resident/{resident.pk}/phone/", {"reason": "好奇"}
    )
    assert response.status_code == 404
    assert AccessLog.objects.count() == 0


def test_access_log_is_read_only_and_for_the_admin(
    client, resident, operator, django_user_model
):
    client.force_login(operator)
    client.post(f"/admin/people/resident/{resident.pk}/phone/", {"reason": "核实"})
    assert client.get("/admin/people/accesslog/").status_code == 403
    admin = django_user_model.objects.create_superuser("root", password="x-Pass-2026")
    client.force_login(admin)
    page = client.get("/admin/people/accesslog/").content.decode()
    assert "核实" in page and "手机号" in page
    log = AccessLog.objects.get()
    assert client.get("/admin/people/accesslog/add/").status_code == 403
    change = client.post(
        f"/admin/people/accesslog/{log.pk}/change/", {"reason": "改掉"}
    )
    assert change.status_code in (302, 403) or "改掉" not in change.content.decode()
    log.refresh_from_db()
    assert log.reason == "核实"
    assert client.post(f"/admin/people/accesslog/{log.pk}/delete/").status_code == 403


def test_search_log_keeps_a_pseudonym_not_the_account(resident):
    places.log_search(
        actor=resident.user, query="修手表", result_count=0, compound=None
    )
    row = SearchLog.objects.get()
    assert not hasattr(row, "user_id")
    assert row.visitor and row.visitor not in (PHONE, str(resident.user_id))
    places.log_search(actor=resident.user, query="修鞋", result_count=0)
    assert SearchLog.objects.filter(visitor=row.visitor).count() == 2


def test_resident_and_user_labels_mask_the_phone(resident):
    resident.real_name = ""
    assert str(resident) == "138****5678"
    assert str(resident.user) == "138****5678"
