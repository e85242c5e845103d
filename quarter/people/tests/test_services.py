"""Sign-up (SMS code), real-name against the register, households."""

import pytest

from quarter.core.errors import DomainError
from quarter.people import services
from quarter.people.models import Resident, User
from quarter.people.tests.factories import register_entry, sign_up, valid_id
from quarter.places.tests.factories import make_community, make_compound

pytestmark = pytest.mark.django_db


@pytest.fixture
def compound():
    return make_compound(
        make_community(name="东河社区", slug="donghe"), name="河滨公寓"
    )


def test_sign_up_resident_creates_account_with_resident_role():
    resident = sign_up("13800001234", "Lao-Pan-2026")
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
        services.sign_up_resident(phone=phone, password=password, code="123456")
    assert err.value.code == code
    assert User.objects.count() == 0


def test_sign_up_resident_refuses_a_taken_phone():
    sign_up("13800001234")
    with pytest.raises(DomainError) as err:
        services.sign_up_resident(
            phone="+8613800001234", password="Another-2026", code="000000"
        )
    assert err.value.code == "phone_taken"


def test_verify_real_name_matches_register_and_places_household(compound):
    number = valid_id()
    entry = register_entry(compound, name="潘建国", id_number=number, address="2幢301")
    resident = sign_up("13800001234")
    services.verify_real_name(
        actor=resident.user,
        name="潘建国",
        id_number=number,
        community=compound.community,
    )
    resident.refresh_from_db()
    assert resident.is_verified and resident.register_entry == entry
    assert (resident.household.compound, resident.household.address) == (
        compound,
        "2幢301",
    )
    assert resident.birth_year == 1956
    assert resident.id_masked == number[:4] + "*" * 12 + number[-2:]
    stored = {f.attname: getattr(resident, f.attname) for f in Resident._meta.fields}
    assert number not in map(str, stored.values())
    assert "19560312" not in map(str, stored.values())


def test_verify_real_name_refuses_checksum_valid_invented_id(compound):
    register_entry(compound, name="潘建国", id_number=valid_id())
    resident = sign_up("13800001234")
    invented = valid_id(birth="19700101", serial=123)
    with pytest.raises(DomainError) as err:
        services.verify_real_name(
            actor=resident.user,
            name="潘建国",
            id_number=invented,
            community=compound.community,
        )
    assert err.value.code == "not_on_register" and err.value.status_code == 403
    resident.refresh_from_db()
    assert not resident.is_verified and resident.id_hash is None
    assert resident.household is None


def test_verify_real_name_refuses_wrong_name_and_other_community(compound):
    number = valid_id()
    register_entry(compound, name="潘建国", id_number=number)
    other = make_community(name="锦绣社区", slug="jinxiu")
    resident = sign_up("13800001234")
    for name, community in (("潘建民", compound.community), ("潘建国", other)):
        with pytest.raises(DomainError) as err:
            services.verify_real_name(
                actor=resident.user, name=name, id_number=number, community=community
            )
        assert err.value.code == "not_on_register"


def test_verify_real_name_one_person_one_account(compound):
    register_entry(compound, name="潘建国", id_number=valid_id())
    first = sign_up("13800001234")
    second = sign_up("13900001234")
    services.verify_real_name(
        actor=first.user,
        name="潘建国",
        id_number=valid_id(),
        community=compound.community,
    )
    with pytest.raises(DomainError) as err:
        services.verify_real_name(
            actor=second.user,
            name="潘建国",
            id_number=valid_id().lower(),
            community=compound.community,
        )
    assert err.value.code == "id_number_taken"
    second.refresh_from_db()
    assert not second.is_verified


def test_verify_real_name_rejects_wrong_check_digit_and_repeat(compound):
    number = valid_id()
    register_entry(compound, name="潘建国", id_number=number)
    resident = sign_up("13800001234")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    kw = {"name": "潘建国", "community": compound.community}
    with pytest.raises(DomainError) as err:
        services.verify_real_name(actor=resident.user, id_number=wrong, **kw)
    assert (err.value.code, err.value.field) == ("id_number_invalid", "id_number")
    services.verify_real_name(actor=resident.user, id_number=number, **kw)
    with pytest.raises(DomainError) as err:
        services.verify_real_name(actor=resident.user, id_number=number, **kw)
    assert err.value.code == "already_verified"


def test_join_household_shares_one_card_per_household(compound):
    a = sign_up("13800001234")
    b = sign_up("13900001234")
    h1 = services.join_household(actor=a.user, compound=compound, address="3幢501")
    h2 = services.join_household(actor=b.user, compound=compound, address="3幢501")
    assert h1 == h2 and h1.card_number.startswith("DJ")
