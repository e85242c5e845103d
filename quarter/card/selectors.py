"""Reads of the community card (never writes)."""

from __future__ import annotations

import segno

from quarter.card import tokens
from quarter.card.models import CardPin
from quarter.core import clock
from quarter.people.models import Household, Resident
from quarter.vouchers import codes

# The page asks for a new code this often, well inside the token's minute.
REFRESH_SECONDS = 20


def card_code(*, resident: Resident) -> dict:
    """Return the card's current token, its QR as a data URI and the typed code."""
    at = clock.now().timestamp()
    token = tokens.issue(
        resident_id=resident.pk, household_id=resident.household_id, at=at
    )
    qr = segno.make_qr(token, error="m")
    return {
        "token": token,
        "qr": qr.svg_data_uri(scale=6, dark="#1a1a1a"),
        "code": codes.group_code(codes.wallet_code(resident.pk, at=at)),
        "valid_seconds": tokens.seconds_valid(),
        "refresh_seconds": REFRESH_SECONDS,
    }


def has_pin(*, household: Household) -> bool:
    return CardPin.objects.filter(household=household).exists()


def list_card_members(*, household: Household) -> list[str]:
    """Return the names of the household's verified residents (for the card)."""
    return [
        r.real_name
        for r in household.residents.exclude(verified_at=None).order_by("pk")
        if r.real_name
    ]


def list_recent_visits(*, merchant, limit: int = 20):
    """Return the shop's latest till payments (card, voucher or both)."""
    from quarter.card.models import Visit

    return (
        Visit.objects.filter(merchant=merchant)
        .select_related("redemption", "household__compound")
        .order_by("-occurred_at", "-id")[:limit]
    )
