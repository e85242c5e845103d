"""Verbs of the community card: the printed household card's PIN.

The till's payments are in `payments.py`; the visit log's one writer in
`visits.py`.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from quarter.card import access
from quarter.card.errors import CardErrorCode as Code
from quarter.card.models import CardEvent, CardPin
from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.people.models import Household

PIN_DIGITS = 6
_PIN_RE = re.compile(rf"^\d{{{PIN_DIGITS}}}$")


def set_card_pin(*, actor, household: Household, pin: str) -> CardPin:
    """Set (or reset) the PIN of the household's printed card; keep only its hash.

    Raises `not_card_manager` (403) unless `actor` is a resident of the
    household or an operator of its community, `card_pin_invalid` for a PIN
    that is not 6 digits or is too easy (one digit repeated, a run like
    123456). Event: pin_set or pin_reset.
    """
    access.require_household_card_manager(actor, household)
    pin = (pin or "").strip()
    if not _PIN_RE.match(pin):
        raise DomainError(Code.CARD_PIN_INVALID, "密码应为6位数字", field="pin")
    if _too_easy(pin):
        raise DomainError(
            Code.CARD_PIN_INVALID,
            "密码太简单(不能全部相同或连续),请换一个",
            field="pin",
        )
    now = clock.now()
    with transaction.atomic():
        row, created = CardPin.objects.select_for_update().get_or_create(
            household=household,
            defaults={"pin_hash": make_password(pin), "set_by": actor, "set_at": now},
        )
        if not created:
            row.pin_hash, row.set_by, row.set_at = make_password(pin), actor, now
            row.save(update_fields=["pin_hash", "set_by", "set_at"])
        CardEvent.objects.create(
            household=household,
            kind=CardEvent.Kind.PIN_SET if created else CardEvent.Kind.PIN_RESET,
            actor=actor,
            created_at=now,
        )
    return row


def pin_matches(household: Household, pin: str) -> bool | None:
    """Return whether `pin` is the household card's PIN; None when none is set.

    Reads only: the caller (`payments`) counts a wrong PIN at the till.
    """
    row = CardPin.objects.filter(household=household).first()
    if row is None:
        return None
    return check_password((pin or "").strip(), row.pin_hash)


def record_card_locked(
    household: Household, *, merchant_id: int, failures: int
) -> None:
    """Record that wrong PINs locked the household's card (who typed: the shop)."""
    CardEvent.objects.create(
        household=household,
        kind=CardEvent.Kind.CARD_LOCKED,
        actor=None,
        reason=f"在商户#{merchant_id}连续{failures}次输错密码,已临时锁定",
        created_at=clock.now(),
    )


def _too_easy(pin: str) -> bool:
    if len(set(pin)) == 1:
        return True
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    return steps in ({1}, {-1})
