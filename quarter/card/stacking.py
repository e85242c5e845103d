"""The till's arithmetic: card price, and the best of card and 满减 vouchers.

Pure functions on integer fen, no database. A campaign's `card_stacking`
says how its 满减 voucher meets the card's rate:

after_card  the card price first; the voucher's threshold is measured on the
            discounted amount and its face comes off it
            (¥60 at 5.5折 → ¥33; 满30减10 → ¥23).
on_bill     the threshold is measured on the original bill; the card price
            and the face are both taken (¥60, 5.5折, 满40减10 → ¥23).
exclusive   not together: the better of card only and voucher only.

A combination whose face would pass what is left to pay is not offered
(the voucher's face value is fixed on the ledger). Among the feasible
options the lowest payable wins; on a tie, the one that keeps the voucher.
"""

from __future__ import annotations

from dataclasses import dataclass

AFTER_CARD, ON_BILL, EXCLUSIVE = "after_card", "on_bill", "exclusive"


@dataclass(frozen=True)
class Offer:
    """A voucher the customer could use here now (cap and validity already checked)."""

    voucher_id: int
    threshold_fen: int
    face_fen: int
    stacking: str


@dataclass(frozen=True)
class Option:
    """One way to pay: card price cut and/or one voucher, and what is left to pay.

    `base_fen` is the amount the voucher's threshold was measured on (the
    redemption's bill); 0 when no voucher is used.
    """

    bill_fen: int
    card_discount_fen: int
    voucher_id: int | None
    voucher_face_fen: int
    base_fen: int
    uses_card: bool

    @property
    def payable_fen(self) -> int:
        return self.bill_fen - self.card_discount_fen - self.voucher_face_fen


def card_price_fen(bill_fen: int, permille: int) -> int:
    """Return the card price of a bill: bill × rate, rounded half up to the fen."""
    return (bill_fen * permille + 500) // 1000


def options(
    *, bill_fen: int, card_permille: int | None, offers: list[Offer]
) -> list[Option]:
    """Return every feasible way to pay this bill with the card and these offers."""
    found: list[Option] = []
    card_discount = None
    if card_permille is not None:
        card_discount = bill_fen - card_price_fen(bill_fen, card_permille)
        found.append(Option(bill_fen, card_discount, None, 0, 0, True))
    for o in offers:
        if o.threshold_fen <= bill_fen and o.face_fen <= bill_fen:
            found.append(Option(bill_fen, 0, o.voucher_id, o.face_fen, bill_fen, False))
        if card_discount is None or o.stacking == EXCLUSIVE:
            continue
        price = bill_fen - card_discount
        base = price if o.stacking == AFTER_CARD else bill_fen
        if o.threshold_fen <= base and o.face_fen <= price:
            found.append(
                Option(bill_fen, card_discount, o.voucher_id, o.face_fen, base, True)
            )
    return found


def best(found: list[Option]) -> Option | None:
    """Return the option with the lowest payable; a tie keeps the voucher for later."""
    if not found:
        return None
    return min(
        found,
        key=lambda o: (
            o.payable_fen,
            o.voucher_id is not None,
            -o.voucher_face_fen,
            o.voucher_id or 0,
        ),
    )
