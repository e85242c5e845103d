"""Fen to yuan and back, without floats."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quarter.core.money import format_discount, format_yuan, parse_yuan


def test_format_yuan():
    assert format_yuan(4510) == "¥45.10"
    assert format_yuan(3500) == "¥35.00"


def test_format_yuan_negative_and_thousands():
    assert format_yuan(-1234567) == "¥-12,345.67"
    assert format_yuan(12345678, symbol=False) == "123,456.78"


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_yuan_round_trips_format_yuan(fen):
    assert parse_yuan(format_yuan(fen)) == fen


@pytest.mark.parametrize("bad", ["", "abc", "1.234", "1.2.3", "--1"])
def test_parse_yuan_rejects_bad_amounts(bad):
    with pytest.raises(ValueError):
        parse_yuan(bad)


def test_format_discount():
    assert format_discount(550) == "5.5折"
    assert format_discount(800) == "8折"
    assert format_discount(None) == ""


def test_format_permille_percent():
    from quarter.core.money import format_permille_percent

    assert format_permille_percent(300) == "30%"
    assert format_permille_percent(25) == "2.5%"
    assert format_permille_percent(0) == "0%"
