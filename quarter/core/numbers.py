"""Parse numbers and dates people type, refusing what a machine would misread.

Every form, API query and page query string that takes a number or a date goes
through here (or through the form fields of `quarter.core.fields`, built on it):

* full-width digits and punctuation (５０．５, －３) are read as ASCII; other
  look-alikes (superscripts, Arabic-Indic digits) are refused, not guessed;
* NaN, infinity, exponents past the range and `1_000` are refused;
* every number has a range, so nothing reaches the database that overflows it;
* dates lie between EARLIEST_DATE and LATEST_DATE (no year 9999).

Problems raise `NumberProblem` (a ValueError) whose message is a Chinese
sentence for the person who typed the value.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.utils.translation import gettext as _

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# Large enough for any budget, small enough for a 64-bit column (fen).
MAX_FEN = 10**15
MAX_INT = 2**53  # larger ids and counts are typing errors or attacks

_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "。": ".",
        "，": ",",
        "－": "-",
        "−": "-",
        "＋": "+",
        "￥": "¥",
        "　": " ",
        "ｅ": "e",
        "Ｅ": "E",
    }
)
_FLOAT_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$", re.A)
_INT_RE = re.compile(r"^[+-]?\d{1,18}$", re.A)


class NumberProblem(ValueError):
    """A value that is not a number (or date) in range; the message says why."""


def normalize(text) -> str:
    """Full-width digits and signs to ASCII, surrounding spaces trimmed."""
    return str(text if text is not None else "").translate(_FULL_WIDTH).strip()


def parse_float(text, *, minimum: float, maximum: float, label: str = "数值") -> float:
    """Return a finite float within [minimum, maximum] or raise `NumberProblem`."""
    value = normalize(text)
    if not _FLOAT_RE.match(value):
        raise NumberProblem(_("%(label)s应为数字") % {"label": label})
    number = float(value)
    return check_float(number, minimum=minimum, maximum=maximum, label=label)


def check_float(
    number: float, *, minimum: float, maximum: float, label: str = "数值"
) -> float:
    """Refuse NaN, infinity and values out of range (a parsed float from anywhere)."""
    if not math.isfinite(number):
        raise NumberProblem(_("%(label)s应为有限的数字") % {"label": label})
    if not minimum <= number <= maximum:
        raise NumberProblem(
            _("%(label)s应在 %(min)s 到 %(max)s 之间")
            % {"label": label, "min": f"{minimum:g}", "max": f"{maximum:g}"}
        )
    return number


def parse_int(
    text, *, minimum: int = -MAX_INT, maximum: int = MAX_INT, label: str = "数值"
) -> int:
    """Return an integer within [minimum, maximum] or raise `NumberProblem`."""
    value = normalize(text)
    if not _INT_RE.match(value):
        raise NumberProblem(_("%(label)s应为整数") % {"label": label})
    number = int(value)
    if not minimum <= number <= maximum:
        raise NumberProblem(
            _("%(label)s应在 %(min)s 到 %(max)s 之间")
            % {"label": label, "min": minimum, "max": maximum}
        )
    return number


def parse_latitude(text, *, label: str = "纬度") -> float:
    return parse_float(text, minimum=-90, maximum=90, label=label)


def parse_longitude(text, *, label: str = "经度") -> float:
    return parse_float(text, minimum=-180, maximum=180, label=label)


def optional(parser, text, **kwargs):
    """None for an empty value, else `parser(text, **kwargs)`."""
    if text is None or normalize(text) == "":
        return None
    return parser(text, **kwargs)


def parse_date(
    text,
    *,
    earliest: dt.date = EARLIEST_DATE,
    latest: dt.date = LATEST_DATE,
    label: str = "日期",
) -> dt.date:
    """Return an ISO date (2026-12-02) within [earliest, latest]."""
    value = normalize(text)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.A):
        raise NumberProblem(
            _("%(label)s应写成 2026-12-02 这样的格式") % {"label": label}
        )
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise NumberProblem(_("%(label)s不存在") % {"label": label}) from None
    return check_date(day, earliest=earliest, latest=latest, label=label)


def check_date(
    day: dt.date,
    *,
    earliest: dt.date = EARLIEST_DATE,
    latest: dt.date = LATEST_DATE,
    label: str = "日期",
) -> dt.date:
    """Refuse a date (or the date of a datetime) outside [earliest, latest]."""
    plain = day.date() if isinstance(day, dt.datetime) else day
    if not earliest <= plain <= latest:
        raise NumberProblem(
            _("%(label)s应在 %(min)s 到 %(max)s 之间")
            % {"label": label, "min": earliest.isoformat(), "max": latest.isoformat()}
        )
    return day


NUMBER_INVALID = "number_invalid"


def query_value(params, name: str, parser, **kwargs):
    """Parse an optional query-string value; a bad one is a 400 `number_invalid`.

    `params` is request.GET or request.POST; an empty or absent value is None.
    """
    from quarter.core.errors import DomainError

    try:
        return optional(parser, params.get(name), **kwargs)
    except NumberProblem as exc:
        raise DomainError(NUMBER_INVALID, str(exc), field=name) from None
