"""Money is integer fen; this is the one place that turns fen into yuan text."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from quarter.core.numbers import MAX_FEN, NumberProblem, normalize


def format_yuan(amount_fen: int | None, *, symbol: bool = True) -> str:
    """Render fen as yuan with two decimals: 4510 -> '¥45.10'."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(int(amount_fen)), 100)
    text = f"{sign}{whole:,}.{cents:02d}"
    return f"¥{text}" if symbol else text


_YUAN_RE = re.compile(r"^(-?)((?:\d{1,3}(?:,\d{3})+)|\d+)?(?:\.(\d{1,2}))?$", re.A)


def parse_yuan(text: str, *, max_fen: int = MAX_FEN) -> int:
    """Parse yuan typed by a person into fen, without floats; ValueError if not.

    Accepts '45', '45.5', '45.10', '¥1,234.50' and full-width digits ('５０.００').
    Refuses ambiguous or malformed forms rather than guessing: '50,00' (a
    decimal comma, or fifty hundred?), '1,23', '1.2.3', '1.234', '1e3', and
    amounts beyond `max_fen` (`NumberProblem`, a ValueError, with the reason).
    """
    value = normalize(text).replace("¥", "").replace(" ", "")
    match = _YUAN_RE.match(value)
    if not value or not match or (match.group(2) is None and match.group(3) is None):
        raise NumberProblem(
            _("请输入金额,如 45 或 45.50(最多两位小数,不用逗号作小数点)")
        )
    sign, whole, frac = match.groups()
    fen = int((whole or "0").replace(",", "")) * 100 + int(((frac or "") + "00")[:2])
    if fen > max_fen:
        raise NumberProblem(_("金额不能超过 %(max)s") % {"max": format_yuan(max_fen)})
    return -fen if sign else fen


def format_discount(rate_permille: int | None) -> str:
    """Render a discount rate stored in permille of the price: 550 -> '5.5折'."""
    if rate_permille is None:
        return ""
    tenths = rate_permille / 100
    text = f"{tenths:.2f}".rstrip("0").rstrip(".")
    return f"{text}折"


def format_permille_percent(permille: int | None) -> str:
    """Render a share stored in permille as a percentage: 25 -> '2.5%'."""
    if permille is None:
        return ""
    text = f"{permille / 10:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"
