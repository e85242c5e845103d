"""Verbs of the people app: sign-up (SMS code), real-name against the register,
households, roles."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.identity import (
    birth_year_from_id,
    hash_id_number,
    id_number_problem,
    mask_id_number,
    normalize_phone,
    phone_problem,
)
from quarter.people import access, events
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import Household, Resident, Role, User
from quarter.people.phone_codes import use_phone_code
from quarter.people.register import find_register_entry
from quarter.places.models import Community, Compound


def add_role(user: User, role: Role | str) -> None:
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)


def sign_up_resident(*, phone: str, password: str, code: str) -> Resident:
    """Create a resident account with phone number, SMS code and password.

    The code proves the phone (see `phone_codes.send_phone_code`). Raises
    `phone_invalid`, `phone_taken`, `password_rejected`, `sms_code_required`,
    `sms_code_wrong`, `sms_code_expired`, `sms_code_locked`; writes no account
    then (a wrong code counts as one try).
    """
    phone = normalize_phone(phone)
    if problem := phone_problem(phone):
        raise DomainError(Code.PHONE_INVALID, problem, field="phone")
    if User.objects.filter(username=phone).exists():
        raise DomainError(Code.PHONE_TAKEN, "该手机号已注册,请直接登录", field="phone")
    candidate = User(username=phone, phone=phone)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise DomainError(
            Code.PASSWORD_REJECTED, " ".join(exc.messages), field="password"
        ) from None
    use_phone_code(phone=phone, code=code)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=phone, password=password, phone=phone
            )
            add_role(user, Role.RESIDENT)
            return Resident.objects.create(user=user, phone=phone)
    except IntegrityError:
        raise DomainError(
            Code.PHONE_TAKEN, "该手机号已注册,请直接登录", field="phone"
        ) from None


def verify_real_name(
    *,
    actor: User,
    name: str,
    id_number: str,
    community: Community,
    today: dt.date | None = None,
) -> Resident:
    """Bind a real name and ID number to the actor's account against the register.

    The ID number is checked (GB 11643 check digit and birth date), hashed,
    and matched with the name against the active register of `community`;
    the resident is then placed in the household the register names (not a
    self-declared one). Only the keyed hash, a mask without birth digits and
    the birth year are kept. A resident whose register entry lapsed (moved
    away) may verify again against another community's register.
    Raises `not_a_resident`, `already_verified`, `name_required`,
    `id_number_invalid`, `not_on_register`, `id_number_taken`.
    Writes the resident, a household (first member) and a `RegisterEvent`.
    """
    resident = _resident_of(actor)
    if resident.is_verified and access.is_registered_resident(resident):
        raise DomainError(Code.ALREADY_VERIFIED, "您已完成实名认证")
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise DomainError(Code.NAME_REQUIRED, "请填写与身份证一致的姓名", field="name")
    if problem := id_number_problem(id_number, today=today):
        raise DomainError(Code.ID_NUMBER_INVALID, problem, field="id_number")
    id_hash = hash_id_number(id_number)
    if resident.id_hash and resident.id_hash != id_hash:
        raise DomainError(
            Code.ID_NUMBER_TAKEN,
            "本账号已绑定另一身份证号,请联系社区工作者",
            field="id_number",
        )
    entry = find_register_entry(community=community, name=name, id_hash=id_hash)
    if entry is None:
        # One message whether the number or the name does not match, so the
        # form cannot be used to probe who is on the register.
        raise DomainError(
            Code.NOT_ON_REGISTER,
            f"姓名和身份证号不在{community.name}居民名册中,"
            "请核对后重试或联系社区工作者登记。未登记也可以继续使用商户查询。",
            field="id_number",
            status_code=403,
        )
    if Resident.objects.filter(id_hash=id_hash).exclude(pk=resident.pk).exists():
        raise DomainError(
            Code.ID_NUMBER_TAKEN,
            "该身份证号已绑定其他账号,一人只能实名一个账号",
            field="id_number",
        )
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().get(pk=resident.pk)
            household, _ = Household.objects.get_or_create(
                compound=entry.compound, address=entry.address
            )
            resident.real_name = entry.name
            resident.id_hash = id_hash
            resident.id_masked = mask_id_number(id_number)
            resident.birth_year = birth_year_from_id(id_number)
            resident.verified_at = clock.now()
            resident.register_entry = entry
            resident.household = household
            resident.save()
            events.register_matched(entry, actor=actor)
    except IntegrityError:
        raise DomainError(
            Code.ID_NUMBER_TAKEN, "该身份证号已绑定其他账号", field="id_number"
        ) from None
    return resident


def join_household(*, actor: User, compound: Compound, address: str) -> Household:
    """Put the resident in a household of a compound (created on first join)."""
    resident = _resident_of(actor)
    address = (address or "").strip()
    if not address:
        raise DomainError(
            Code.HOUSEHOLD_REQUIRED, "请填写门牌号,如 3幢2单元501", field="address"
        )
    with transaction.atomic():
        household, _ = Household.objects.get_or_create(
            compound=compound, address=address
        )
        resident.household = household
        resident.save(update_fields=["household"])
    return household


def _resident_of(actor: User) -> Resident:
    # Read afresh: `actor.resident` may be a cached copy from before this request.
    resident = (
        Resident.objects.filter(user=actor).first() if actor.is_authenticated else None
    )
    if resident is None:
        raise DomainError(Code.NOT_A_RESIDENT, "只有居民账号可以办理", status_code=403)
    return resident
