"""The 长辈模式 switch: remembered in a cookie and, signed in, in the profile."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from quarter.elder import services
from quarter.elder.models import DisplayPreference
from quarter.elder.selectors import COOKIE
from quarter.places.tests.factories import make_user

pytestmark = pytest.mark.django_db


def _is_elder(response) -> bool:
    return '<html lang="zh-hans" class="elder">' in response.content.decode()


def test_a_visitor_switches_on_and_every_page_renders_in_elder_mode(client):
    assert not _is_elder(client.get("/"))
    response = client.post("/display/elder", {"on": "1", "next": "/search/?q=药"})
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=%E8%8D%AF"
    assert response.cookies[COOKIE].value == "1"
    assert response.cookies[COOKIE]["httponly"]
    page = client.get("/")
    assert _is_elder(page)
    assert 'id="elder-toggle" aria-pressed="true"' in page.content.decode()
    assert not DisplayPreference.objects.exists()  # no profile without a login

    client.post("/display/elder", {"on": "0", "next": "/"})
    assert not _is_elder(client.get("/"))


def test_a_signed_in_resident_keeps_the_choice_on_a_new_phone(client):
    user = make_user("13900000077")
    client.force_login(user)
    client.post("/display/elder", {"on": "1", "next": "/"})
    assert DisplayPreference.objects.get(user=user).elder_mode

    other_phone = type(client)()
    other_phone.force_login(user)
    assert _is_elder(other_phone.get("/"))
    # The profile wins over an old cookie on that phone.
    other_phone.cookies[COOKIE] = "0"
    assert _is_elder(other_phone.get("/"))


def test_next_elsewhere_is_refused_and_get_changes_nothing(client):
    response = client.post(
        "/display/elder", {"on": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert client.get("/display/elder").status_code == 405
    response = client.post("/display/elder", {"on": "1", "next": "//evil.example/x"})
    assert response["Location"] == "/"


def test_no_profile_for_an_anonymous_actor():
    with pytest.raises(PermissionDenied):
        services.save_elder_mode(actor=AnonymousUser(), on=True)
    assert not DisplayPreference.objects.exists()
