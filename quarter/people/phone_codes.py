"""One-time SMS codes that prove a person holds a phone number.

`send_phone_code` issues a six-digit code through the configured SMS sender
(`quarter.people.sms`), with resend limits: one code per phone every
`QUARTER_SMS_RESEND_SECONDS`, at most `QUARTER_SMS_PER_PHONE_PER_HOUR` per
phone and `QUARTER_SMS_PER_IP_PER_HOUR` per source IP in an hour. A code
lives `QUARTER_SMS_CODE_TTL_SECONDS`, takes `QUARTER_SMS_CODE_MAX_ATTEMPTS`
wrong tries before it is locked, and is used once (`use_phone_code`). Only a
keyed hash of the code is stored; the counters are the `PhoneCode` rows
themselves, in the database every app server shares.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.crypto import salted_hmac

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.identity import normalize_phone, phone_problem
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import PhoneCode, SmsGate, User
from quarter.people.sms import SmsError, get_sender

SIGNUP = "signup"


def _digest(phone: str, code: str) -> str:
    return salted_hmac("quarter.people.phone_code", f"{phone}:{code}").hexdigest()


def send_phone_code(*, phone: str, ip: str | None, purpose: str = SIGNUP) -> PhoneCode:
    """Send a one-time code to `phone`.

    Raises `phone_invalid`, `phone_taken` (sign-up of a registered number),
    `sms_too_soon` (with `params["wait_seconds"]`), `sms_limit_reached`,
    `sms_send_failed`. Writes a `PhoneCode` row (hash only); the SMS goes out
    after the row is committed.
    """
    phone = normalize_phone(phone)
    if problem := phone_problem(phone):
        raise DomainError(Code.PHONE_INVALID, problem, field="phone")
    if purpose == SIGNUP and User.objects.filter(username=phone).exists():
        raise DomainError(Code.PHONE_TAKEN, "该手机号已注册,请直接登录", field="phone")
    now = clock.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    # The send slot and the code row commit together: a failure between them
    # (a lock timeout, a crash) must not leave the slot taken with no code
    # sent, which would make the resident wait a minute for nothing.
    with transaction.atomic():
        _check_send_limits(phone=phone, ip=ip, now=now)
        row = PhoneCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_digest(phone, code),
            ip=ip or None,
            created_at=now,
            expires_at=now
            + dt.timedelta(seconds=settings.QUARTER_SMS_CODE_TTL_SECONDS),
        )
    try:
        get_sender().send_code(phone, code)
    except SmsError:
        # The row stays and counts against the limits: a failing gateway must
        # not become a way around them.
        PhoneCode.objects.filter(pk=row.pk).update(expires_at=now)
        raise DomainError(
            Code.SMS_SEND_FAILED, "短信发送失败,请稍后再试", status_code=503
        ) from None
    return row


def _check_send_limits(*, phone: str, ip: str | None, now: dt.datetime) -> None:
    _check_hourly_limits(phone=phone, ip=ip, now=now)
    _claim_resend_gap(phone=phone, now=now)


def _claim_resend_gap(*, phone: str, now: dt.datetime) -> None:
    """Take this phone's send slot, or raise `sms_too_soon` with the wait.

    One conditional UPDATE (or the first INSERT) decides, so of a burst of
    parallel requests exactly one gets through.
    """
    gap = settings.QUARTER_SMS_RESEND_SECONDS
    free_before = now - dt.timedelta(seconds=gap)
    if SmsGate.objects.filter(phone=phone, last_sent_at__lte=free_before).update(
        last_sent_at=now
    ):
        return
    try:
        with transaction.atomic():
            SmsGate.objects.create(phone=phone, last_sent_at=now)
        return
    except IntegrityError:
        pass
    last = SmsGate.objects.get(phone=phone).last_sent_at
    wait = max(1, int(gap - (now - last).total_seconds()) + 1)
    raise DomainError(
        Code.SMS_TOO_SOON,
        f"验证码已发送,请{wait}秒后再试",
        field="phone",
        params={"wait_seconds": wait},
        status_code=429,
    )


def _check_hourly_limits(*, phone: str, ip: str | None, now: dt.datetime) -> None:
    hour_ago = now - dt.timedelta(hours=1)
    recent = PhoneCode.objects.filter(created_at__gte=hour_ago)
    if recent.filter(
        phone=phone
    ).count() >= settings.QUARTER_SMS_PER_PHONE_PER_HOUR or (
        ip and recent.filter(ip=ip).count() >= settings.QUARTER_SMS_PER_IP_PER_HOUR
    ):
        raise DomainError(
            Code.SMS_LIMIT_REACHED,
            "获取验证码次数过多,请一小时后再试",
            field="phone",
            status_code=429,
        )


def use_phone_code(*, phone: str, code: str, purpose: str = SIGNUP) -> None:
    """Check `code` for `phone` and spend it.

    Raises `sms_code_required`, `sms_code_expired` (none live: expired, used
    or never sent), `sms_code_locked` (too many wrong tries),
    `sms_code_wrong`. A wrong try is counted even when the caller's
    transaction later rolls back, so call this outside `atomic`.
    """
    phone = normalize_phone(phone)
    code = (code or "").strip()
    if not code:
        raise DomainError(Code.SMS_CODE_REQUIRED, "请填写短信验证码", field="code")
    now = clock.now()
    row = (
        PhoneCode.objects.filter(
            phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise DomainError(
            Code.SMS_CODE_EXPIRED, "验证码已失效,请重新获取", field="code"
        )
    if row.attempts >= settings.QUARTER_SMS_CODE_MAX_ATTEMPTS:
        raise DomainError(
            Code.SMS_CODE_LOCKED, "验证码错误次数过多,请重新获取", field="code"
        )
    if not hmac.compare_digest(row.code_hash, _digest(phone, code)):
        PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        raise DomainError(Code.SMS_CODE_WRONG, "验证码不正确", field="code")
    with transaction.atomic():
        spent = PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=now
        )
    if not spent:  # used by a concurrent request a moment ago
        raise DomainError(
            Code.SMS_CODE_EXPIRED, "验证码已失效,请重新获取", field="code"
        )
