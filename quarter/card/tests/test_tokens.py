"""The card's rotating QR: signed, short-lived, refused when old or altered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from quarter.card import keys, tokens
from quarter.card.selectors import card_code
from quarter.core import clock

T0 = 1_790_000_000.0


def test_token_reads_back_whose_it_is_until_its_minute_is_over():
    token = tokens.issue(resident_id=4711, household_id=12, at=T0)
    assert token.startswith("QC1") and len(token) == 43
    assert tokens.read(token, at=T0 + 59) == ("ok", 4711, 12, int(T0))
    assert tokens.read(token, at=T0 + 60).state == "expired"
    assert tokens.read(token, at=T0 + 60).resident_id == 4711
    assert tokens.read(token, at=T0 - 60).state == "expired"  # from the future


def test_tampered_or_foreign_token_names_nobody(settings):
    token = tokens.issue(resident_id=4711, household_id=12, at=T0)
    body = list(token)
    body[5] = "A" if body[5] != "A" else "B"  # another resident id, same MAC
    assert tokens.read("".join(body), at=T0) == ("invalid", None, None, None)
    assert tokens.read(token[:-1], at=T0).state == "invalid"
    settings.QUARTER_CARD_KEY = "another-key-" + "x" * 40
    assert tokens.read(token, at=T0).state == "invalid"


def test_signing_fails_closed_without_a_key(settings):
    settings.QUARTER_CARD_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        tokens.issue(resident_id=1, household_id=1, at=T0)


def test_card_key_refuses_short_or_published_values_and_derives_otherwise():
    secret = "s" * 50
    derived = keys.card_key(environ={}, secret_key=secret)
    assert derived != secret and len(derived) == 64
    assert keys.card_key(environ={}, secret_key="t" * 50) != derived
    good = "k" * 40
    assert keys.card_key(environ={"QUARTER_CARD_KEY": good}, secret_key=secret) == good
    for bad in ("short", "django-insecure-" + "x" * 40):
        with pytest.raises(keys.MissingCardKey):
            keys.card_key(environ={"QUARTER_CARD_KEY": bad}, secret_key=secret)
    with pytest.raises(SystemExit):
        keys.card_key_or_exit(environ={"QUARTER_CARD_KEY": "short"}, secret_key=secret)


@pytest.mark.django_db
def test_card_code_rotates_with_the_clock(world):
    resident = world.resident()
    start = dt.datetime(2026, 12, 2, 10, 0, tzinfo=clock.SHANGHAI)
    clock.freeze(start)
    try:
        first = card_code(resident=resident)
        clock.freeze(start + dt.timedelta(seconds=30))
        second = card_code(resident=resident)
        later = (start + dt.timedelta(seconds=61)).timestamp()
    finally:
        clock.freeze(None)
    assert first["token"] != second["token"] and first["qr"] != second["qr"]
    assert first["qr"].startswith("data:image/svg+xml")
    assert tokens.read(first["token"], at=later).state == "expired"
    assert tokens.read(second["token"], at=later).state == "ok"
