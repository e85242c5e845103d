"""Packet presets from Hangzhou (seed 002 and the 2022 programme).

Each coupon is (face_fen, threshold_fen, count): 满threshold减face, count times.
"""

from __future__ import annotations

PRESETS: dict[str, dict] = {
    "hz2020_p1": {
        "label": "杭州2020第一期:5张满40减10",
        "coupons": [(1000, 4000, 5)],
        "valid_days": 7,
    },
    "hz2020_p2": {
        "label": "杭州2020第二期:满100减20+满200减35+满300减45",
        "coupons": [(2000, 10000, 1), (3500, 20000, 1), (4500, 30000, 1)],
        "valid_days": 7,
        "packets": 1_500_000,
    },
    "hz2022": {
        "label": "杭州2022:2张满20减5+2张满40减10+1张满80减20",
        "coupons": [(500, 2000, 2), (1000, 4000, 2), (2000, 8000, 1)],
        "valid_days": 7,
        "packets": 2_000_000,
    },
}


def packet_face_fen(coupons) -> int:
    return sum(face * count for face, _threshold, count, *_ in coupons)


def describe(coupons) -> str:
    """'2×满20减5 + 1×满80减20' for a list of (face, threshold, count) in fen."""
    parts = []
    for face, threshold, count, *_ in coupons:
        unit = f"满{_yuan(threshold)}减{_yuan(face)}"
        parts.append(f"{count}×{unit}" if count > 1 else unit)
    return " + ".join(parts)


def _yuan(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return str(whole) if not cents else f"{whole}.{cents:02d}".rstrip("0")
