"""Numbers and dates people type: read right, or refused with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quarter.core import numbers
from quarter.core.fields import (
    BoundedIntegerField,
    LatitudeField,
    SaneDateField,
    SaneDateTimeField,
    YuanField,
)
from quarter.core.money import parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("45", 4500),
        ("45.5", 4550),
        ("¥1,234.50", 123450),
        ("５０.００", 5000),
        ("５０．５", 5050),
        ("１，２３４", 123400),
        (" 12 ", 1200),
    ],
)
def test_parse_yuan_reads_full_width_and_grouped_amounts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "bad",
    [
        "50,00",
        "1,23",
        "1,2345",
        "1.2.3",
        "1.234",
        "1e3",
        "nan",
        "inf",
        "5²",
        "٥٠",
        "1_000",
        "--1",
        "¥",
        "",
        "9" * 30,
    ],
)
def test_parse_yuan_refuses_ambiguous_or_huge_amounts(bad):
    with pytest.raises(ValueError) as err:
        parse_yuan(bad)
    assert err.value.args[0]  # a reason a person can read


def test_parse_yuan_refuses_more_than_the_limit():
    assert parse_yuan("100", max_fen=10_000) == 10_000
    with pytest.raises(numbers.NumberProblem, match="不能超过"):
        parse_yuan("100.01", max_fen=10_000)


@pytest.mark.parametrize(
    "bad",
    [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "1e309",
        "1e400",
        "91",
        "-90.0001",
        "1_0",
        "0x10",
        "",
        "３０。５。１",
    ],
)
def test_parse_latitude_refuses_non_finite_and_out_of_range(bad):
    with pytest.raises(numbers.NumberProblem):
        numbers.parse_latitude(bad)


def test_parse_coordinates_read_full_width():
    assert numbers.parse_latitude("３０．２６") == 30.26
    assert numbers.parse_longitude("－１２０.１") == -120.1


@given(st.text(max_size=30))
def test_parsers_never_raise_anything_but_number_problem(text):
    for parse, kwargs in [
        (numbers.parse_float, {"minimum": -1e6, "maximum": 1e6}),
        (numbers.parse_int, {}),
        (numbers.parse_date, {}),
        (parse_yuan, {}),
    ]:
        try:
            value = parse(text, **kwargs)
        except numbers.NumberProblem:
            continue
        assert value is not None


@pytest.mark.parametrize(
    "bad", ["9999-12-31", "10000-01-01", "0001-01-01", "2026-02-30", "2026-2-3", "nan"]
)
def test_parse_date_refuses_impossible_or_absurd_dates(bad):
    with pytest.raises(numbers.NumberProblem):
        numbers.parse_date(bad)


def test_parse_date_reads_full_width():
    assert numbers.parse_date("２０２６-１２-０２") == dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (YuanField(), "５０.００", 5000),
        (BoundedIntegerField(min_value=1, max_value=10), "７", 7),
        (LatitudeField(), "30.5", 30.5),
        (SaneDateField(), "2026-12-02", dt.date(2026, 12, 2)),
    ],
)
def test_fields_clean_good_values(field, value, expected):
    assert field.clean(value) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (YuanField(), "50,00"),
        (YuanField(), "0"),
        (BoundedIntegerField(min_value=1, max_value=10), "9" * 30),
        (BoundedIntegerField(min_value=1, max_value=10), "11"),
        (BoundedIntegerField(min_value=1, max_value=10), "1.5"),
        (LatitudeField(), "nan"),
        (LatitudeField(), "1e400"),
        (SaneDateField(), "9999-12-31"),
        (SaneDateTimeField(), "9999-12-31 23:59"),
    ],
)
def test_fields_refuse_with_a_form_error(field, value):
    from django import forms

    with pytest.raises(forms.ValidationError):
        field.clean(value)
