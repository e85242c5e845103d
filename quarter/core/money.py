"""Money is integer fen; this is the one place that turns fen into yuan text."""

from __future__ import annotations


def format_yuan(amount_fen: int | None, *, symbol: bool = True) -> str:
    """Render fen as yuan with two decimals: 4510 -> '¥45.10'."""
    if amount_fen is None:
        return ""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(int(amount_fen)), 100)
    text = f"{sign}{whole:,}.{cents:02d}"
    return f"¥{text}" if symbol else text


def parse_yuan(text: str) -> int:
    """Parse '45', '45.5' or '45.10' yuan into fen without floats; ValueError if not."""
    text = str(text).strip().replace("¥", "").replace(",", "")
    if not text:
        raise ValueError("empty amount")
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    whole, _, frac = text.partition(".")
    if not whole.isdigit() and not (whole == "" and frac.isdigit()):
        raise ValueError(f"not an amount: {text}")
    if frac and (not frac.isdigit() or len(frac) > 2):
        raise ValueError(f"at most two decimals: {text}")
    fen = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -fen if negative else fen


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
