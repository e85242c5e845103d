"""The card's signing key: its own setting, failing closed like the others.

`QUARTER_CARD_KEY` signs the rotating QR of the digital community card. Set
it in the environment to rotate it apart from SECRET_KEY (old QR codes live
a minute, so a rotation needs no fallback). Unset, it is derived from
SECRET_KEY (HMAC with a purpose label), which itself fails closed in
`quarter.core.secrets`. A value that is set but unusable (short, or a
published development key) stops the process with one line, as the other
keys do. This module imports no Django app: settings call it at import.
"""

from __future__ import annotations

import hashlib
import hmac
import sys

from quarter.core.secrets import MIN_LENGTH, PUBLISHED_KEYS


class MissingCardKey(Exception):
    """The card key is unusable; the message is one line for the operator."""


def card_key(*, environ, secret_key: str) -> str:
    """Return the card signing key: QUARTER_CARD_KEY, else derived from SECRET_KEY."""
    value = (environ.get("QUARTER_CARD_KEY") or "").strip()
    if value:
        if value in PUBLISHED_KEYS or value.startswith("django-insecure-"):
            raise MissingCardKey("QUARTER_CARD_KEY is a published development key")
        if len(value) < MIN_LENGTH:
            raise MissingCardKey(
                f"QUARTER_CARD_KEY is shorter than {MIN_LENGTH} characters"
            )
        return value
    if not secret_key:
        raise MissingCardKey("QUARTER_CARD_KEY not set and no SECRET_KEY to derive it")
    return hmac.new(
        secret_key.encode(), b"quarter.card.qr-token", hashlib.sha256
    ).hexdigest()


def card_key_or_exit(*, environ, secret_key: str) -> str:
    """Like `card_key`, but stop the process with a one-line message on failure."""
    try:
        return card_key(environ=environ, secret_key=secret_key)
    except MissingCardKey as exc:
        sys.stderr.write(f"quarter: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(1) from None
