"""Sign-up, real-name verification (one person, one account), households."""

import datetime as dt

import pytest

from quarter.core.errors import DomainError
from quarter.core.identity import id_check_char
from quarter.people import services
from quarter.people.models import Resident, User
from quarter.places.tests.factories import make_community, make_compound

pytestmark = pytest.mark.django_db


def valid_id(birth="19560312", serial=11):
    first17 = f"420502{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def test_sign_up_resident_creates_account_with_resident_role():
    resident = services.sign_up_resident(phone="138 0000 1234", password="Lao-Pan-2026")
    assert resident.phone == "13800001234"
    assert resident.user.check_password("Lao-Pan-2026")
    assert resident.user.has_role("resident")
    assert not resident.is_verified


@pytest.mark.parametrize(
    "phone,password,code",
    [
        ("12345", "Lao-Pan-2026", "phone_invalid"),
        ("13800001234", "123", "password_rejected"),
        ("13800001234", "12345678", "password_rejected"),
    ],
)
def test_sign_up_resident_rejects_bad_input_and_writes_nothing(phone, password, code):
    with pytest.raises(DomainError) as err:
        services.sign_up_resident(phone=phone, password=password)
    assert err.value.code == code
    assert User.objects.count() == 0


def test_sign_up_resident_refuses_a_taken_phone():
    services.sign_up_resident(phone="13800001234", password="Lao-Pan-2026")
    with pytest.raises(DomainError) as err:
        services.sign_up_resident(phone="+8613800001234", password="Another-2026")
    assert err.value.code == "phone_taken"


def test_verify_real_name_stores_only_hash_and_mask():
    resident = services.sign_up_resident(phone="13800001234", password="Lao-Pan-2026")
    number = valid_id()
    services.verify_real_name(actor=resident.user, name="潘建国", id_number=number)
    resident.refresh_from_db()
    assert resident.is_verified and resident.birth_date == dt.date(1956, 3, 12)
    assert resident.id_masked == number[:4] + "*" * 10 + number[-4:]
    stored = {f.attname: getattr(resident, f.attname) for f in Resident._meta.fields}
    assert number not in map(str, stored.values())


def test_verify_real_name_one_person_one_account():
    first = services.sign_up_resident(phone="13800001234", password="Lao-Pan-2026")
    second = services.sign_up_resident(phone="13900001234", password="Lao-Pan-2026")
    services.verify_real_name(actor=first.user, name="潘建国", id_number=valid_id())
    with pytest.raises(DomainError) as err:
        services.verify_real_name(
            actor=second.user, name="潘建国", id_number=valid_id().lower()
        )
    assert err.value.code == "id_number_taken"
    second.refresh_from_db()
    assert not second.is_verified


def test_verify_real_name_rejects_wrong_check_digit_and_repeat():
    resident = services.sign_up_resident(phone="13800001234", password="Lao-Pan-2026")
    number = valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(DomainError) as err:
        services.verify_real_name(actor=resident.user, name="潘建国", id_number=wrong)
    assert (err.value.code, err.value.field) == ("id_number_invalid", "id_number")
    services.verify_real_name(actor=resident.user, name="潘建国", id_number=number)
    with pytest.raises(DomainError) as err:
        services.verify_real_name(actor=resident.user, name="潘建国", id_number=number)
    assert err.value.code == "already_verified"


def test_join_household_shares_one_card_per_household():
    compound = make_compound(make_community())
    a = services.sign_up_resident(phone="13800001234", password="Lao-Pan-2026")
    b = services.sign_up_resident(phone="13900001234", password="Lao-Pan-2026")
    h1 = services.join_household(actor=a.user, compound=compound, address="3幢501")
    h2 = services.join_household(actor=b.user, compound=compound, address="3幢501")
    assert h1 == h2 and h1.card_number.startswith("DJ")
