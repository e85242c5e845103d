"""Signed, short-lived codes: the rotating wallet code and the rush ticket.

Wallet code: ``<resident id>-<6 digits>``; the digits are an HMAC of the
resident and the 30-second window, so a code (or a screenshot of its QR) is
accepted only in its own and the next window — at most 60 seconds.

Rush ticket: issued with the countdown page to an eligible resident; carries
round, campaign, user, resident, a per-person key and expiry, signed with
HMAC-SHA256 so the gate (`rushgate`) can trust it without reading the
database. The ID-number hash never leaves the server: the per-person key is
an HMAC of it under a key of its own, scoped to the campaign, so the ticket
names one real person for the engine's one-per-person rule without telling
anyone (or any other campaign) which.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import NamedTuple

from django.conf import settings

WINDOW_SECONDS = 30
_CODE_RE = re.compile(r"^(\d{1,12})-?(\d{6})$")


def _key(purpose: str) -> bytes:
    return hashlib.sha256(
        f"quarter.vouchers.{purpose}:{settings.SECRET_KEY}".encode()
    ).digest()


def wallet_code(resident_id: int, *, at: float) -> str:
    """Return the wallet code of a resident for the window holding epoch `at`."""
    return f"{resident_id}-{_digits(resident_id, int(at) // WINDOW_SECONDS)}"


def wallet_code_seconds_left(*, at: float) -> int:
    return WINDOW_SECONDS - int(at) % WINDOW_SECONDS


def parse_wallet_code(code: str, *, at: float) -> int | None:
    """Return the resident id if `code` is valid now or in the previous window."""
    match = _CODE_RE.match((code or "").strip().replace(" ", ""))
    if not match:
        return None
    resident_id, digits = int(match.group(1)), match.group(2)
    window = int(at) // WINDOW_SECONDS
    for w in (window, window - 1):
        if hmac.compare_digest(_digits(resident_id, w), digits):
            return resident_id
    return None


def _digits(resident_id: int, window: int) -> str:
    mac = hmac.new(
        _key("wallet"), f"{resident_id}:{window}".encode(), hashlib.sha256
    ).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 1_000_000:06d}"


def rush_key() -> bytes:
    return _key("rush")


def person_key(*, campaign_id: int, id_hash: str) -> str:
    """Return the claim engines' key for one real person in one campaign.

    An HMAC of the ID-number hash: the same person (whatever account) gets
    the same key, so the engine's one-per-person and per-week rules hold, yet
    the key reveals nothing of the ID hash and differs between campaigns.
    """
    return hmac.new(
        _key("person"), f"{campaign_id}:{id_hash}".encode(), hashlib.sha256
    ).hexdigest()[:32]


class RushTicket(NamedTuple):
    round_id: int
    campaign_id: int
    user_id: int
    resident_id: int
    person_key: str


def sign_ticket(
    *,
    round_id: int,
    campaign_id: int,
    user_id: int,
    resident_id: int,
    person_hash: str,
    expires: int,
) -> str:
    """Sign a rush ticket; `person_hash` (the ID hash) goes in only as its key."""
    key = person_key(campaign_id=campaign_id, id_hash=person_hash)
    payload = f"{round_id}.{campaign_id}.{user_id}.{resident_id}.{key}.{expires}"
    body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    sig = hmac.new(rush_key(), body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{sig}"


def verify_ticket(
    ticket: str, *, key: bytes | None = None, now: float | None = None
) -> RushTicket | None:
    """Return the ticket's fields, or None if it is forged, malformed or expired."""
    try:
        body, sig = ticket.rsplit(".", 1)
        want = hmac.new(key or rush_key(), body.encode(), hashlib.sha256).hexdigest()[
            :32
        ]
        if not hmac.compare_digest(want, sig):
            return None
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        round_id, campaign_id, user_id, resident_id, key, expires = raw.split(".")
        if int(expires) < (now if now is not None else time.time()):
            return None
        return RushTicket(
            int(round_id), int(campaign_id), int(user_id), int(resident_id), key
        )
    except (ValueError, UnicodeDecodeError):
        return None
