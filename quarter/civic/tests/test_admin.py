"""Back office: operators create Open311 keys (shown once, hashed) and set SLAs."""

from __future__ import annotations

import pytest

from quarter.civic import services
from quarter.civic.models import ApiClient, Category
from quarter.civic.tests.factories import CivicWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cw = CivicWorld()
    user = cw.world.operator_user
    user.is_staff = True
    user.save()
    # No permission of its own: the operator group's (civic/apps.py) is enough.
    return cw, user


def test_operator_creates_an_api_key_shown_once_and_stored_hashed(operator, client):
    cw, user = operator
    client.force_login(user)
    resp = client.post(
        "/admin/civic/apiclient/add/",
        {"name": "12345热线", "community": cw.world.community.pk, "active": "on"},
        follow=True,
    )
    assert resp.status_code == 200
    text = resp.content.decode()
    start = text.index("q311_")
    key = text[start : text.index("<", start)].strip()
    stored = ApiClient.objects.get()
    assert key not in (stored.key_hash, stored.key_prefix)
    assert services.client_for_key(key) == stored
    assert (
        "q311_"
        not in client.get(
            f"/admin/civic/apiclient/{stored.pk}/change/"
        ).content.decode()
    )


def test_operator_edits_a_categorys_deadline_and_is_refused_zero(operator, client):
    cw, user = operator
    client.force_login(user)
    url = f"/admin/civic/category/{cw.lamp.pk}/change/"
    data = {
        "community": cw.world.community.pk,
        "code": "street-lamp",
        "name": "路灯损坏",
        "department": cw.lighting.pk,
        "sla_hours": "0",
        "active": "on",
        "sort_order": "0",
    }
    resp = client.post(url, data)
    assert resp.status_code == 200  # the form again, with the error
    assert Category.objects.get(pk=cw.lamp.pk).sla_hours == 48
    data["sla_hours"] = "24"
    assert client.post(url, data).status_code == 302
    assert Category.objects.get(pk=cw.lamp.pk).sla_hours == 24
