"""Resident identity under PIPL: GB 11643 ID numbers and phone numbers.

ID numbers are never stored in clear: a keyed hash gives uniqueness (one person,
one real-name account) and a masked form without the birth digits is kept for
display. Of the birth date only the year is kept (benefit age rules); the full
date together with the mask would narrow an ID number to a handful of people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from django.conf import settings

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    return (raw or "").strip().upper().replace(" ", "")


def id_number_problem(raw: str, *, today: dt.date | None = None) -> str | None:
    """Return why an 18-digit resident ID number is invalid, or None if it is valid."""
    value = normalize_id_number(raw)
    if not _ID_RE.match(value):
        return "身份证号应为18位,前17位为数字,最后一位为数字或X"
    try:
        born = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号中的出生日期不存在"
    today = today or dt.date.today()
    if born > today or born.year < 1890:
        return "身份证号中的出生日期不合理"
    if id_check_char(value[:17]) != value[17]:
        return "身份证号校验位不正确"
    return None


def birth_year_from_id(value: str) -> int:
    """Return the year of birth written in an ID number (digits 7-10)."""
    return int(normalize_id_number(value)[6:10])


def hash_id_number(value: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalized ID number, for uniqueness only."""
    key = settings.QUARTER_ID_HASH_KEY.encode()
    return hmac.new(
        key, normalize_id_number(value).encode(), hashlib.sha256
    ).hexdigest()


def mask_id_number(value: str) -> str:
    """'330106199001011234' -> '3301************34'.

    Keeps the region's first four digits and the last two only: no birth
    digits (7-14) and not the full sequence number.
    """
    value = normalize_id_number(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def pseudonym(kind: str, value: object) -> str:
    """Return a short keyed pseudonym of `value` (e.g. a user id in a log).

    Stable for one key, so logs can count repeat visitors, but not reversible
    to a user or phone number without the key.
    """
    key = settings.QUARTER_ID_HASH_KEY.encode()
    message = f"{kind}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def normalize_phone(raw: str) -> str:
    value = re.sub(r"[\s-]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def phone_problem(raw: str) -> str | None:
    if not _PHONE_RE.match(normalize_phone(raw)):
        return "请输入11位中国大陆手机号"
    return None


def mask_phone(value: str) -> str:
    """'13812345678' -> '138****5678'; other shapes keep only the last four."""
    value = normalize_phone(value)
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]
