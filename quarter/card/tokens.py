"""The rotating QR token of the digital community card (大家卡).

``QC1`` + base64url(resident id, household id, issue second, 128-bit HMAC),
40 characters after the prefix, signed with `settings.QUARTER_CARD_KEY`. A
token is good for `QUARTER_CARD_TOKEN_SECONDS` (60) after it was issued; the
card page asks for a fresh one before that, so a screenshot stops working
within a minute. A token that does not verify names nobody; an expired one
still says whose it was, so the till can count the failure against that card.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "QC1"
_BODY = struct.Struct(">III")  # resident id, household id, issued (epoch s)
_MAC_BYTES = 18  # body 12 + mac 18 = 30 bytes: 40 base64 characters, no padding
_TOKEN_RE = re.compile(rf"^{PREFIX}[A-Za-z0-9_-]{{40}}$")
# A phone whose clock runs a little ahead of the server's is not refused.
SKEW_SECONDS = 5


class CardToken(NamedTuple):
    """What a card token says; `state` is "ok", "expired" or "invalid"."""

    state: str
    resident_id: int | None = None
    household_id: int | None = None
    issued_at: int | None = None


def looks_like_token(text: str) -> bool:
    """Return whether `text` has the shape of a card token (not whether it verifies)."""
    return (text or "").strip().startswith(PREFIX)


def issue(*, resident_id: int, household_id: int, at: float) -> str:
    """Return a card token for the resident and household, issued at epoch `at`."""
    body = _BODY.pack(resident_id, household_id, int(at))
    return PREFIX + base64.urlsafe_b64encode(body + _mac(body)).decode()


def seconds_valid() -> int:
    return int(settings.QUARTER_CARD_TOKEN_SECONDS)


def read(token: str, *, at: float) -> CardToken:
    """Verify a card token at epoch `at`: ok, expired (signed but old) or invalid."""
    text = re.sub(r"\s", "", token or "")
    if not _TOKEN_RE.match(text):
        return CardToken("invalid")
    raw = base64.urlsafe_b64decode(text[len(PREFIX) :])
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    if not hmac.compare_digest(_mac(body), mac):
        return CardToken("invalid")
    resident_id, household_id, issued = _BODY.unpack(body)
    fresh = issued - SKEW_SECONDS <= at < issued + seconds_valid()
    return CardToken("ok" if fresh else "expired", resident_id, household_id, issued)


def _mac(body: bytes) -> bytes:
    key = getattr(settings, "QUARTER_CARD_KEY", "")
    if not key:  # fail closed: never sign or accept with an empty key
        raise ImproperlyConfigured("QUARTER_CARD_KEY is not set")
    return hmac.new(key.encode(), body, hashlib.sha256).digest()[:_MAC_BYTES]
