"""Test helpers of the people app: sign-up with an SMS code, register rows."""

from __future__ import annotations

from quarter.core import clock
from quarter.core.identity import (
    birth_year_from_id,
    hash_id_number,
    id_check_char,
    mask_id_number,
)
from quarter.people import phone_codes, services, sms
from quarter.people.models import RegisterEntry, Resident


def valid_id(birth: str = "19560312", serial: int = 11, region: str = "420502") -> str:
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def sign_up(phone: str, password: str = "Lao-Pan-2026", *, ip: str = "10.0.0.1"):
    """Sign up a resident the way a person does: get a code by SMS, type it."""
    phone_codes.send_phone_code(phone=phone, ip=ip)
    return services.sign_up_resident(
        phone=phone, password=password, code=sms.last_code(phone.replace(" ", ""))
    )


def register_entry(compound, *, name: str, id_number: str, address: str = "1幢101"):
    now = clock.now()
    return RegisterEntry.objects.create(
        community=compound.community,
        compound=compound,
        address=address,
        name=name,
        id_hash=hash_id_number(id_number),
        id_masked=mask_id_number(id_number),
        birth_year=birth_year_from_id(id_number),
        created_at=now,
        updated_at=now,
    )


def put_on_register(resident: Resident, id_number: str) -> RegisterEntry:
    """Add a verified resident to the register of the compound they live in."""
    entry = register_entry(
        resident.household.compound,
        name=resident.real_name or "居民",
        id_number=id_number,
        address=resident.household.address,
    )
    Resident.objects.filter(pk=resident.pk).update(register_entry=entry)
    resident.register_entry = entry
    return entry
