"""Notification centre: idempotent sending, the SMS channel, reading only one's own."""

from __future__ import annotations

import pytest

from quarter.notifications import services
from quarter.notifications.models import Notification
from quarter.people import sms
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def test_same_key_notifies_once():
    world = World()
    resident = world.resident()
    first = services.notify(
        resident.user, kind="test", title="您已自动获得助餐券", key="grant:1"
    )
    again = services.notify(
        resident.user, kind="test", title="您已自动获得助餐券", key="grant:1"
    )
    assert again.pk == first.pk
    assert services.unread_count(resident.user) == 1


def test_sms_channel_sends_the_title_to_the_residents_phone():
    world = World()
    resident = world.resident()
    sms.outbox.clear()
    notification = services.notify(
        resident.user, kind="test", title="您反映的问题已办结", sms=True
    )
    assert notification.sms_result == "sent"
    assert [m.phone for m in sms.outbox] == [resident.phone]
    assert "您反映的问题已办结" in sms.outbox[0].text
    # A notice is not a verification code: the code lookup ignores it.
    assert sms.last_code(resident.phone) is None


def test_mark_read_ignores_other_peoples_notifications():
    world = World()
    alice, bob = world.resident(), world.resident()
    mine = services.notify(alice.user, kind="test", title="a")
    theirs = services.notify(bob.user, kind="test", title="b")
    assert services.mark_read(alice.user, [mine.pk, theirs.pk]) == 1
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert services.unread_count(alice.user) == 0


def test_inbox_shows_own_messages_and_reading_follows_the_link(client):
    world = World()
    alice, bob = world.resident(), world.resident()
    mine = services.notify(alice.user, kind="test", title="建议已采纳", url="/me/card/")
    services.notify(bob.user, kind="test", title="别人的消息")
    client.force_login(alice.user)
    page = client.get("/me/notifications/").content.decode()
    assert "建议已采纳" in page and "别人的消息" not in page
    assert 'id="unread-count">1<' in page
    response = client.post("/me/notifications/read", {"id": mine.pk})
    assert response.status_code == 302 and response["Location"] == "/me/card/"
    assert services.unread_count(alice.user) == 0


def test_reading_an_external_link_stays_home(client):
    world = World()
    alice = world.resident()
    n = services.notify(alice.user, kind="test", title="x", url="//evil.example/")
    client.force_login(alice.user)
    response = client.post("/me/notifications/read", {"id": n.pk})
    assert response["Location"] == "/me/notifications/"
    bad = client.post("/me/notifications/read", {"id": "abc"})
    assert bad.status_code == 302
