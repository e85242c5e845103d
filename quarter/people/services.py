"""Verbs of the people app: sign-up, real-name verification, households, roles."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.identity import (
    birth_date_from_id,
    hash_id_number,
    id_number_problem,
    mask_id_number,
    normalize_phone,
    phone_problem,
)
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import Household, Resident, Role, User
from quarter.places.models import Compound


def add_role(user: User, role: Role | str) -> None:
    group, _ = Group.objects.get_or_create(name=str(role))
    user.groups.add(group)


def sign_up_resident(*, phone: str, password: str) -> Resident:
    """Create a resident account with phone number and password.

    Raises `phone_invalid`, `phone_taken`, `password_rejected`; writes nothing then.
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
    *, actor: User, name: str, id_number: str, today: dt.date | None = None
) -> Resident:
    """Bind a real name and ID number to the actor's resident account, once.

    The ID number is checked (GB 11643 check digit and birth date), then kept
    only as a keyed hash (one person, one account) and a masked form.
    Raises `not_a_resident`, `already_verified`, `name_required`,
    `id_number_invalid`, `id_number_taken`.
    """
    resident = _resident_of(actor)
    if resident.is_verified:
        raise DomainError(Code.ALREADY_VERIFIED, "您已完成实名认证")
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise DomainError(Code.NAME_REQUIRED, "请填写与身份证一致的姓名", field="name")
    if problem := id_number_problem(id_number, today=today):
        raise DomainError(Code.ID_NUMBER_INVALID, problem, field="id_number")
    id_hash = hash_id_number(id_number)
    if Resident.objects.filter(id_hash=id_hash).exists():
        raise DomainError(
            Code.ID_NUMBER_TAKEN,
            "该身份证号已绑定其他账号,一人只能实名一个账号",
            field="id_number",
        )
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().get(pk=resident.pk)
            resident.real_name = name
            resident.id_hash = id_hash
            resident.id_masked = mask_id_number(id_number)
            resident.birth_date = birth_date_from_id(id_number)
            resident.verified_at = clock.now()
            resident.save()
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
