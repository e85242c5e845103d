"""Visits for the visit log's tests, recorded through the one writer at set times."""

from __future__ import annotations

import datetime as dt
import itertools

from quarter.card import visits
from quarter.core import clock

_keys = itertools.count(1)


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    """An aware moment in Asia/Shanghai."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=clock.SHANGHAI)


def visit(
    shop,
    cashier,
    *,
    at: dt.datetime,
    bill_fen: int,
    card_fen: int = 0,
    voucher_fen: int = 0,
    resident=None,
    household=None,
):
    """Record one payment at `shop` as it happened at `at` (the clock frozen)."""
    before = clock._frozen
    clock.freeze(at)
    try:
        return visits.record_visit(
            merchant=shop,
            staff=cashier,
            key=f"log-{next(_keys)}",
            bill_fen=bill_fen,
            card_discount_fen=card_fen,
            voucher_face_fen=voucher_fen,
            resident=resident,
            household=household,
        )
    finally:
        clock.freeze(before)
