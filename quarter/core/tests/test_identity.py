"""ID numbers (GB 11643) and phone numbers: validation, hashing, masking."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from quarter.core.identity import (
    birth_year_from_id,
    hash_id_number,
    id_check_char,
    id_number_problem,
    mask_id_number,
    mask_phone,
    phone_problem,
    pseudonym,
)

# A real published example from the standard: 11010519491231002X.
KNOWN_VALID = "11010519491231002X"

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
regions = st.integers(min_value=110000, max_value=659999)
serials = st.integers(min_value=0, max_value=999)


def build(region: int, born: dt.date, serial: int) -> str:
    first17 = f"{region:06d}{born:%Y%m%d}{serial:03d}"
    return first17 + id_check_char(first17)


def test_id_number_problem_accepts_the_standard_example():
    assert id_number_problem(KNOWN_VALID) is None
    assert id_number_problem(KNOWN_VALID.lower()) is None


@given(regions, birth_dates, serials)
def test_id_number_problem_accepts_every_well_formed_number(region, born, serial):
    assert (
        id_number_problem(build(region, born, serial), today=dt.date(2026, 11, 23))
        is None
    )


@given(regions, birth_dates, serials, st.sampled_from("0123456789X"))
def test_id_number_problem_rejects_any_wrong_check_character(
    region, born, serial, wrong
):
    number = build(region, born, serial)
    if wrong != number[-1]:
        assert id_number_problem(number[:17] + wrong) == "身份证号校验位不正确"


@given(regions, birth_dates, serials, st.integers(0, 16), st.integers(1, 9))
def test_id_number_problem_catches_a_single_changed_digit(
    region, born, serial, pos, delta
):
    number = build(region, born, serial)
    digit = (int(number[pos]) + delta) % 10
    changed = number[:pos] + str(digit) + number[pos + 1 :]
    # The weights make every single-digit change visible, unless the change
    # breaks the birth date first, which is refused as well.
    assert id_number_problem(changed, today=dt.date(2026, 11, 23)) is not None


def test_id_number_problem_rejects_impossible_dates_and_shapes():
    assert "出生日期" in id_number_problem(
        build(110105, dt.date(1990, 1, 1), 1)[:10] + "0230" + "0011"
    )
    assert id_number_problem("12345") is not None
    assert id_number_problem("1101051949123100AX") is not None
    future = build(110105, dt.date(2030, 1, 1), 1)
    assert (
        id_number_problem(future, today=dt.date(2026, 11, 23))
        == "身份证号中的出生日期不合理"
    )


def test_hash_id_number_is_keyed_stable_and_case_blind():
    assert hash_id_number(KNOWN_VALID) == hash_id_number(KNOWN_VALID.lower())
    assert KNOWN_VALID not in hash_id_number(KNOWN_VALID)
    assert len(hash_id_number(KNOWN_VALID)) == 64


def test_mask_id_number_hides_every_birth_digit():
    number = "330106199001011234"
    masked = mask_id_number(number)
    assert masked == "3301************34"
    assert "19900101" not in masked and masked[6:14] == "*" * 8


def test_birth_year_from_id_keeps_only_the_year():
    assert birth_year_from_id("330106199001011234") == 1990


def test_pseudonym_is_stable_keyed_and_not_the_value():
    assert pseudonym("user", 42) == pseudonym("user", 42)
    assert pseudonym("user", 42) != pseudonym("user", 43)
    assert "42" != pseudonym("user", 42) and len(pseudonym("user", 42)) == 16


def test_phone_helpers():
    assert phone_problem("13812345678") is None
    assert phone_problem("+86 138-1234-5678") is None
    assert phone_problem("12812345678") is not None
    assert mask_phone("13812345678") == "138****5678"
