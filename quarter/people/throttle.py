"""Login throttle: per account and source, with exponential back-off.

Ten wrong passwords used to lock an account for everyone, so anyone could keep
its owner out. Failures now count per (account, client IP): after
QUARTER_LOGIN_FREE_ATTEMPTS failures from one source, that source waits
QUARTER_LOGIN_BASE_DELAY_SECONDS x 2^k after its latest failure (k = failures
past the free ones), capped at QUARTER_LOGIN_MAX_DELAY_SECONDS. A source that
fails against many accounts is slowed the same way past
QUARTER_LOGIN_IP_FREE_ATTEMPTS. Guesses spread over many addresses are caught
per account: once failures against it come from at least
QUARTER_LOGIN_ACCOUNT_MIN_SOURCES other addresses and number more than
QUARTER_LOGIN_ACCOUNT_FREE_ATTEMPTS, every address that has never logged in
to that account waits the same way (one noisy address alone never triggers
it). The owner, from an address they logged in from before
(`KnownLoginSource`), is never slowed by someone else's failures.

State lives in the database (`LoginAttempt`), so every app server sees it; a
success clears only its own (account, IP) failures.

`LoginThrottleBackend` comes first in AUTHENTICATION_BACKENDS so the site's
login page and the admin's are both covered: it refuses a throttled source
before any password is checked, by raising `LoginThrottled` (a form
ValidationError carrying the wait), and otherwise lets ModelBackend decide.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.dispatch import receiver
from django.utils.translation import gettext as _

from quarter.core import clock
from quarter.core.clientip import client_ip
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import KnownLoginSource, LoginAttempt


class LoginThrottled(ValidationError):
    """Too many recent failures from this source; `wait_seconds` until the next try."""

    def __init__(self, wait_seconds: int) -> None:
        self.wait_seconds = wait_seconds
        message = _("登录失败次数过多,请在%(wait)s后再试。")
        super().__init__(
            message % {"wait": format_wait(wait_seconds)},
            code=str(Code.TOO_MANY_LOGIN_ATTEMPTS),
        )


def format_wait(seconds: int) -> str:
    """'45 秒', '3 分钟', '1 小时 5 分钟': how long a throttled source waits."""
    if seconds < 60:
        return _("%(n)d 秒") % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return _("%(n)d 分钟") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if not minutes:
        return _("%(h)d 小时") % {"h": hours}
    return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes}


def normalize_username(username: str | None) -> str:
    return (username or "").strip()[:150]


def seconds_to_wait(*, username: str, ip: str | None) -> int:
    """Return how long this (account, source) must wait before trying; 0 if not."""
    now = clock.now()
    since = now - dt.timedelta(seconds=settings.QUARTER_LOGIN_WINDOW_SECONDS)
    recent = LoginAttempt.objects.filter(created_at__gte=since)
    waits = [
        _wait(
            recent.filter(username=normalize_username(username), ip=ip),
            free=settings.QUARTER_LOGIN_FREE_ATTEMPTS,
            now=now,
        )
    ]
    if ip is not None:
        waits.append(
            _wait(
                recent.filter(ip=ip),
                free=settings.QUARTER_LOGIN_IP_FREE_ATTEMPTS,
                now=now,
            )
        )
    username = normalize_username(username)
    if username and not _is_known_source(username=username, ip=ip):
        elsewhere = recent.filter(username=username).exclude(ip=ip)
        sources = elsewhere.values("ip").distinct().count()
        if sources >= settings.QUARTER_LOGIN_ACCOUNT_MIN_SOURCES:
            waits.append(
                _wait(
                    elsewhere,
                    free=settings.QUARTER_LOGIN_ACCOUNT_FREE_ATTEMPTS,
                    now=now,
                )
            )
    return max(waits)


def _is_known_source(*, username: str, ip: str | None) -> bool:
    if ip is None:
        return False
    return KnownLoginSource.objects.filter(username=username, ip=ip).exists()


def _wait(failures, *, free: int, now: dt.datetime) -> int:
    agg = failures.aggregate(n=Count("id"), last=Max("created_at"))
    past_free = agg["n"] - free
    if past_free < 0:
        return 0
    delay = min(
        settings.QUARTER_LOGIN_BASE_DELAY_SECONDS * 2 ** min(past_free, 32),
        settings.QUARTER_LOGIN_MAX_DELAY_SECONDS,
    )
    left = (agg["last"] + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(left))


def record_failure(*, username: str, ip: str | None) -> None:
    """Count a failure; failures older than the window are deleted on the way."""
    now = clock.now()
    since = now - dt.timedelta(seconds=settings.QUARTER_LOGIN_WINDOW_SECONDS)
    LoginAttempt.objects.filter(created_at__lt=since).delete()
    LoginAttempt.objects.create(
        username=normalize_username(username), ip=ip, created_at=now
    )


def clear_failures(*, username: str, ip: str | None) -> None:
    """Forget this source's failures for this account and remember the source.

    Called after a successful login; the address then counts as the owner's.
    """
    username = normalize_username(username)
    LoginAttempt.objects.filter(username=username, ip=ip).delete()
    if ip is not None:
        KnownLoginSource.objects.update_or_create(
            username=username, ip=ip, defaults={"last_login_at": clock.now()}
        )


class LoginThrottleBackend:
    """Refuse a throttled (account, source) before any password is checked.

    Deliberately not a BaseBackend: without `get_user` it never holds a
    session, so `force_login` and `login(..., backend=ModelBackend)` keep
    using ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            # No request (shell, test client's login()): no source to throttle.
            return None
        wait = seconds_to_wait(username=username, ip=client_ip(request))
        if wait:
            raise LoginThrottled(wait)
        return None  # let ModelBackend check the password


@receiver(user_login_failed, dispatch_uid="quarter.people.throttle.failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    record_failure(username=credentials.get("username"), ip=client_ip(request))


@receiver(user_logged_in, dispatch_uid="quarter.people.throttle.logged_in")
def _on_logged_in(sender, request, user, **kwargs):
    if request is not None:
        clear_failures(username=user.get_username(), ip=client_ip(request))
