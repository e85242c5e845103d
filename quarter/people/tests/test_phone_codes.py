"""One-time SMS codes: resend limits, expiry, attempt limit, single use."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.people import phone_codes, sms
from quarter.people.models import PhoneCode

pytestmark = pytest.mark.django_db
PHONE = "13800001234"


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_send_phone_code_stores_only_a_hash_and_sends_through_the_sender():
    phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.1")
    code = sms.last_code(PHONE)
    row = PhoneCode.objects.get()
    assert len(code) == 6 and code not in row.code_hash
    assert sms.outbox[-1].phone == PHONE and code in sms.outbox[-1].text


def test_send_phone_code_waits_60_seconds_between_sends():
    start = clock.now()
    clock.freeze(start)
    phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.1")
    clock.freeze(start + dt.timedelta(seconds=59))
    with pytest.raises(DomainError) as err:
        phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.2")
    assert err.value.code == "sms_too_soon" and err.value.status_code == 429
    assert err.value.params["wait_seconds"] == 2
    clock.freeze(start + dt.timedelta(seconds=61))
    phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.2")
    assert PhoneCode.objects.count() == 2


def test_send_phone_code_limits_per_phone_and_per_ip_per_hour(settings):
    settings.QUARTER_SMS_PER_PHONE_PER_HOUR = 3
    settings.QUARTER_SMS_PER_IP_PER_HOUR = 4
    start = clock.now()
    for i in range(3):
        clock.freeze(start + dt.timedelta(minutes=2 * i))
        phone_codes.send_phone_code(phone=PHONE, ip=f"10.0.0.{i}")
    clock.freeze(start + dt.timedelta(minutes=10))
    with pytest.raises(DomainError) as err:
        phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.9")
    assert err.value.code == "sms_limit_reached"
    # One source asking codes for many numbers is stopped too.
    for i in range(4):
        phone_codes.send_phone_code(phone=f"1390000{i:04d}", ip="10.9.9.9")
    with pytest.raises(DomainError) as err:
        phone_codes.send_phone_code(phone="13900009999", ip="10.9.9.9")
    assert err.value.code == "sms_limit_reached"
    clock.freeze(start + dt.timedelta(minutes=61))
    phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.9")


def test_use_phone_code_expires_after_five_minutes():
    start = clock.now()
    clock.freeze(start)
    phone_codes.send_phone_code(phone=PHONE, ip=None)
    clock.freeze(start + dt.timedelta(minutes=5, seconds=1))
    with pytest.raises(DomainError) as err:
        phone_codes.use_phone_code(phone=PHONE, code=sms.last_code(PHONE))
    assert err.value.code == "sms_code_expired"


def test_use_phone_code_locks_after_too_many_wrong_tries(settings):
    settings.QUARTER_SMS_CODE_MAX_ATTEMPTS = 3
    phone_codes.send_phone_code(phone=PHONE, ip=None)
    code = sms.last_code(PHONE)
    for _ in range(3):
        with pytest.raises(DomainError) as err:
            phone_codes.use_phone_code(phone=PHONE, code=_wrong(code))
        assert err.value.code == "sms_code_wrong"
    with pytest.raises(DomainError) as err:
        phone_codes.use_phone_code(phone=PHONE, code=code)
    assert err.value.code == "sms_code_locked"


def test_use_phone_code_works_once():
    phone_codes.send_phone_code(phone=PHONE, ip=None)
    code = sms.last_code(PHONE)
    phone_codes.use_phone_code(phone=PHONE, code=code)
    with pytest.raises(DomainError) as err:
        phone_codes.use_phone_code(phone=PHONE, code=code)
    assert err.value.code == "sms_code_expired"


def test_send_phone_code_failing_gateway_is_a_clear_503(settings, monkeypatch):
    def refuse(self, phone, code):
        raise sms.SmsError("isv.BUSINESS_LIMIT_CONTROL")

    monkeypatch.setattr(sms.ConsoleSender, "send_code", refuse)
    with pytest.raises(DomainError) as err:
        phone_codes.send_phone_code(phone=PHONE, ip=None)
    assert err.value.code == "sms_send_failed" and err.value.status_code == 503
    with pytest.raises(DomainError):  # the failed send still counts for the limit
        phone_codes.send_phone_code(phone=PHONE, ip=None)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_sends_sends_one_code():
    """Eight "获取验证码" taps at once (several devices): one SMS, seven "wait"."""
    import threading

    from django.db import connection

    from quarter.core.tests.locking import retry_while_locked

    sms.outbox.clear()
    start = threading.Barrier(8)
    outcomes, crashes = [], []

    def send(i):
        try:
            phone_codes.send_phone_code(phone=PHONE, ip=f"10.0.1.{i}")
            return "sent"
        except DomainError as exc:
            return exc.code

    def tap(i):
        try:
            start.wait()
            outcomes.append(retry_while_locked(lambda: send(i)))
        except Exception as exc:  # a 500 in production
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashes == []
    assert sorted(outcomes) == ["sent"] + ["sms_too_soon"] * 7
    assert [m.phone for m in sms.outbox] == [PHONE]
    assert PhoneCode.objects.count() == 1


def test_a_send_that_fails_before_its_code_is_stored_leaves_the_slot_free(
    monkeypatch,
):
    """The database refuses the code row (a lock timeout): nothing is kept, and
    the resident's next tap sends a code at once instead of "wait a minute"."""
    from django.db import OperationalError

    real_create = PhoneCode.objects.create

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(PhoneCode.objects, "create", locked)
    with pytest.raises(OperationalError):
        phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.1")
    monkeypatch.setattr(PhoneCode.objects, "create", real_create)
    sms.outbox.clear()
    phone_codes.send_phone_code(phone=PHONE, ip="10.0.0.1")
    assert [m.phone for m in sms.outbox] == [PHONE]
