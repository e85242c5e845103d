"""Login throttle: an attacker cannot lock the owner out, and is slowed with a wait."""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.core import clock
from quarter.people import throttle
from quarter.people.models import LoginAttempt

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
OWNER_IP = "198.51.100.20"
PASSWORD = "Lao-Pan-2026"


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(
        username="13800001234", password=PASSWORD
    )


def _login(client, password: str, ip: str, username: str = "13800001234"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_attacker_failing_20_times_does_not_lock_out_the_owner(client, owner):
    """20 wrong passwords from one IP; the owner, from another, logs in at once."""
    statuses = [_login(client, f"guess-{i}", ATTACKER).status_code for i in range(20)]
    assert 500 not in statuses
    assert statuses[:5] == [200] * 5  # wrong password, form shown again
    assert 429 in statuses  # then slowed

    response = _login(client, PASSWORD, OWNER_IP)
    assert response.status_code == 302
    assert client.get("/me/card/").wsgi_request.user == owner


def test_attacker_is_told_in_chinese_how_long_to_wait(client, owner):
    for i in range(throttle_free() + 3):
        _login(client, f"guess-{i}", ATTACKER)
    response = _login(client, PASSWORD, ATTACKER)  # even the right password waits
    page = response.content.decode()
    assert response.status_code == 429
    assert "登录失败次数过多" in page and "后再试" in page
    assert "秒" in page or "分钟" in page
    assert "_auth_user_id" not in client.session


def throttle_free() -> int:
    from django.conf import settings

    return settings.QUARTER_LOGIN_FREE_ATTEMPTS


def test_wait_doubles_with_each_failure_and_ends(owner):
    """Back-off is exponential from the latest failure and capped; then it lets go."""
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock.freeze(start)
    waits = []
    for _ in range(throttle_free() + 4):
        throttle.record_failure(username="13800001234", ip=ATTACKER)
        waits.append(throttle.seconds_to_wait(username="13800001234", ip=ATTACKER))
    assert waits[: throttle_free() - 1] == [0] * (throttle_free() - 1)
    tail = waits[throttle_free() - 1 :]
    assert tail == [2, 4, 8, 16, 32]
    assert throttle.seconds_to_wait(username="13800001234", ip=OWNER_IP) == 0
    clock.freeze(start + dt.timedelta(seconds=33))
    assert throttle.seconds_to_wait(username="13800001234", ip=ATTACKER) == 0
    for _ in range(40):
        throttle.record_failure(username="13800001234", ip=ATTACKER)
    assert throttle.seconds_to_wait(username="13800001234", ip=ATTACKER) == 3600


def test_one_source_spraying_many_accounts_is_slowed(client, owner):
    """Past the per-IP allowance, a source guessing other accounts waits too."""
    from django.conf import settings

    for i in range(settings.QUARTER_LOGIN_IP_FREE_ATTEMPTS + 1):
        _login(client, "x", ATTACKER, username=f"1390000{i:04d}")
    response = _login(client, PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert _login(client, PASSWORD, OWNER_IP).status_code == 302


def test_success_clears_only_its_own_source(client, owner):
    for i in range(3):
        _login(client, f"guess-{i}", ATTACKER)
        _login(client, f"guess-{i}", OWNER_IP)
    assert _login(client, PASSWORD, OWNER_IP).status_code == 302
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {ATTACKER}


def test_admin_login_is_throttled_too(client, django_user_model):
    django_user_model.objects.create_superuser(username="admin", password=PASSWORD)
    for i in range(throttle_free() + 2):
        client.post(
            "/admin/login/",
            {"username": "admin", "password": f"guess-{i}"},
            REMOTE_ADDR=ATTACKER,
        )
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
    )
    assert "登录失败次数过多" in response.content.decode()
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR=OWNER_IP,
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 秒"), (61, "2 分钟"), (3600, "1 小时"), (3900, "1 小时 5 分钟")],
)
def test_format_wait(seconds, text):
    assert throttle.format_wait(seconds) == text


def test_guesses_spread_over_many_addresses_slow_new_addresses_not_the_owner(
    client, owner
):
    """25 addresses guessing one account 1-2 times each (each under the per-IP limit):
    a fresh address then waits, the owner's known address logs in at once."""
    assert _login(client, PASSWORD, OWNER_IP).status_code == 302  # owner's network
    client.logout()
    for i in range(25):
        _login(client, f"guess-{i}", f"203.0.113.{i + 1}")
    fresh = "192.0.2.99"
    response = _login(client, PASSWORD, fresh)  # even the right password waits
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert _login(client, PASSWORD, OWNER_IP).status_code == 302


def test_one_noisy_address_never_triggers_the_account_wide_wait(client, owner):
    for _ in range(40):
        throttle.record_failure(username="13800001234", ip=ATTACKER)
    assert throttle.seconds_to_wait(username="13800001234", ip="192.0.2.99") == 0
