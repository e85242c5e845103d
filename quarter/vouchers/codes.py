"""Signed, short-lived codes: the wallet pay code and the rush ticket.

Wallet pay code, in two forms, each valid in its own 30-second window and the
next (at most 60 seconds), neither showing the resident id:

- the QR carries a long token, ``QW1<base64url>`` (48 characters after the
  prefix): a fresh random nonce, the resident id encrypted under it
  (HMAC-SHA256 as a keystream), the window, and a 128-bit HMAC over all of
  it. Two tokens of one resident look unrelated; a forged one is never
  accepted.
- the typed code is 18 digits: a 10-digit handle (the resident id through a
  keyed 32-bit Feistel permutation, so the till can tell whose code was
  mistyped without the id being readable) and an 8-digit one-time number
  (HMAC of resident and window). Guessing is bounded by the till's limits
  (`services.redemptions`): failures per till, and a resident's code locks
  after repeated failures.

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
import secrets
import time
from typing import NamedTuple

from django.conf import settings

WINDOW_SECONDS = 30
TOKEN_PREFIX = "QW1"
HANDLE_DIGITS = 10
OTP_DIGITS = 8
CODE_DIGITS = HANDLE_DIGITS + OTP_DIGITS
MAX_RESIDENT_ID = 2**32 - 1  # the handle's permutation covers 32 bits
_TYPED_RE = re.compile(rf"^\d{{{CODE_DIGITS}}}$")
_TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9_-]{{48}}$")


def _key(purpose: str) -> bytes:
    return hashlib.sha256(
        f"quarter.vouchers.{purpose}:{settings.SECRET_KEY}".encode()
    ).digest()


class ParsedCode(NamedTuple):
    """What a pay code says: whose it is, and whether it is valid now.

    `claimed_id` is the resident the code names (from the handle, or from a
    token whose signature holds), None when it names nobody; `resident_id` is
    set only when the code is also valid at this moment.
    """

    resident_id: int | None
    claimed_id: int | None


def wallet_code(resident_id: int, *, at: float) -> str:
    """Return the typed pay code (18 digits) for the window holding epoch `at`."""
    return _handle(resident_id) + _otp(resident_id, int(at) // WINDOW_SECONDS)


def wallet_token(resident_id: int, *, at: float) -> str:
    """Return the QR token of a resident for the window holding epoch `at`."""
    nonce = secrets.token_bytes(8)
    window = int(at) // WINDOW_SECONDS
    body = nonce + _xor(resident_id.to_bytes(8, "big"), nonce) + _u32(window)
    mac = hmac.new(_key("wallet-token-mac"), body, hashlib.sha256).digest()[:16]
    return TOKEN_PREFIX + base64.urlsafe_b64encode(body + mac).decode()


def group_code(code: str) -> str:
    """Return the typed code in three groups of six (one line on a phone)."""
    return " ".join(code[i : i + 6] for i in range(0, len(code), 6))


def wallet_code_seconds_left(*, at: float) -> int:
    return WINDOW_SECONDS - int(at) % WINDOW_SECONDS


def parse_wallet_code(code: str, *, at: float) -> ParsedCode:
    """Read a typed code or a QR token; say whose it is and whether it is valid now."""
    text = re.sub(r"\s", "", code or "")
    if not text.startswith(TOKEN_PREFIX):
        text = text.replace("-", "")
    window = int(at) // WINDOW_SECONDS
    if _TYPED_RE.match(text):
        resident_id = _unhandle(text[:HANDLE_DIGITS])
        if resident_id is None:
            return ParsedCode(None, None)
        otp = text[HANDLE_DIGITS:]
        ok = any(
            hmac.compare_digest(_otp(resident_id, w), otp) for w in (window, window - 1)
        )
        return ParsedCode(resident_id if ok else None, resident_id)
    if _TOKEN_RE.match(text):
        raw = base64.urlsafe_b64decode(text[len(TOKEN_PREFIX) :])
        body, mac = raw[:20], raw[20:]
        want = hmac.new(_key("wallet-token-mac"), body, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(want, mac):
            return ParsedCode(None, None)
        nonce, sealed, issued = body[:8], body[8:16], int.from_bytes(body[16:], "big")
        resident_id = int.from_bytes(_xor(sealed, nonce), "big")
        fresh = issued in (window, window - 1)
        return ParsedCode(resident_id if fresh else None, resident_id)
    return ParsedCode(None, None)


def _otp(resident_id: int, window: int) -> str:
    mac = hmac.new(
        _key("wallet"), f"{resident_id}:{window}".encode(), hashlib.sha256
    ).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**OTP_DIGITS:0{OTP_DIGITS}d}"


def _xor(data: bytes, nonce: bytes) -> bytes:
    stream = hmac.new(_key("wallet-token-enc"), nonce, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def _u32(value: int) -> bytes:
    return (value % 2**32).to_bytes(4, "big")


# A 4-round Feistel network over 32 bits (two 16-bit halves) keyed by the
# secret: a permutation, so every resident id has exactly one handle and the
# handle gives the id back only to whoever holds the key.
_ROUNDS = 4


def _round(half: int, i: int) -> int:
    mac = hmac.new(_key("wallet-handle"), f"{i}:{half}".encode(), hashlib.sha256)
    return int.from_bytes(mac.digest()[:2], "big")


def _handle(resident_id: int) -> str:
    if not 0 < resident_id <= MAX_RESIDENT_ID:
        raise ValueError("resident id outside the pay code's range")
    left, right = resident_id >> 16, resident_id & 0xFFFF
    for i in range(_ROUNDS):
        left, right = right, left ^ _round(right, i)
    return f"{(left << 16) | right:0{HANDLE_DIGITS}d}"


def _unhandle(digits: str) -> int | None:
    value = int(digits)
    if value > MAX_RESIDENT_ID:
        return None
    left, right = value >> 16, value & 0xFFFF
    for i in reversed(range(_ROUNDS)):
        left, right = right ^ _round(left, i), left
    resident_id = (left << 16) | right
    return resident_id or None


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
