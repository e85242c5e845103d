"""The till's arithmetic under each campaign stacking rule (pure, integer fen)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quarter.card import stacking
from quarter.card.stacking import AFTER_CARD, EXCLUSIVE, ON_BILL, Offer


def _best(bill, rate, *offers):
    return stacking.best(
        stacking.options(bill_fen=bill, card_permille=rate, offers=list(offers))
    )


def test_card_price_of_60_at_5_5_zhe_is_33():
    assert stacking.card_price_fen(6000, 550) == 3300
    assert stacking.card_price_fen(999, 550) == 549  # 549.45 rounds half up
    best = _best(6000, 550)
    assert (best.card_discount_fen, best.payable_fen, best.voucher_id) == (
        2700,
        3300,
        None,
    )


def test_after_card_measures_the_threshold_on_the_card_price():
    # ¥60 at 5.5折 is ¥33: 满30减10 applies to it, 满40减10 does not.
    best = _best(6000, 550, Offer(1, 3000, 1000, AFTER_CARD))
    assert (best.voucher_id, best.base_fen, best.payable_fen) == (1, 3300, 2300)
    best = _best(6000, 550, Offer(2, 4000, 1000, AFTER_CARD))
    assert (best.voucher_id, best.payable_fen) == (None, 3300)  # card alone
    best = _best(8000, 550, Offer(2, 4000, 1000, AFTER_CARD))
    assert (best.voucher_id, best.base_fen, best.payable_fen) == (2, 4400, 3400)


def test_on_bill_measures_the_threshold_on_the_original_bill():
    best = _best(6000, 550, Offer(2, 4000, 1000, ON_BILL))
    assert (best.voucher_id, best.base_fen) == (2, 6000)
    assert (best.card_discount_fen, best.voucher_face_fen, best.payable_fen) == (
        2700,
        1000,
        2300,
    )


def test_exclusive_picks_the_better_of_card_only_and_voucher_only():
    # Card ¥33 beats voucher ¥50.
    best = _best(6000, 550, Offer(2, 4000, 1000, EXCLUSIVE))
    assert (best.voucher_id, best.payable_fen, best.uses_card) == (None, 3300, True)
    # A 9.5折 card leaves ¥57; the 满40减10 voucher alone leaves ¥50.
    best = _best(6000, 950, Offer(2, 4000, 1000, EXCLUSIVE))
    assert (best.voucher_id, best.payable_fen, best.uses_card) == (2, 5000, False)
    assert best.card_discount_fen == 0


def test_a_face_larger_than_what_is_left_is_not_combined():
    # On the bill, 满60减40 would leave ¥33 − ¥40 < 0: not offered together.
    found = stacking.options(
        bill_fen=6000, card_permille=550, offers=[Offer(3, 6000, 4000, ON_BILL)]
    )
    assert not [o for o in found if o.voucher_id and o.card_discount_fen]
    best = stacking.best(found)  # the voucher alone: ¥20, better than the card's ¥33
    assert (best.voucher_id, best.payable_fen, best.uses_card) == (3, 2000, False)


def test_without_the_card_the_largest_reachable_voucher_wins():
    best = _best(
        4500, None, Offer(1, 2000, 500, AFTER_CARD), Offer(2, 4000, 1000, ON_BILL)
    )
    assert (best.voucher_id, best.payable_fen, best.uses_card) == (2, 3500, False)
    assert _best(1000, None, Offer(1, 2000, 500, ON_BILL)) is None


@given(
    bill=st.integers(1, 10_000_000),
    rate=st.one_of(st.none(), st.integers(1, 1000)),
    offers=st.lists(
        st.tuples(
            st.integers(1, 100_000),
            st.integers(0, 200_000),
            st.sampled_from([AFTER_CARD, ON_BILL, EXCLUSIVE]),
        ),
        max_size=4,
    ),
)
def test_every_option_adds_up_and_the_best_is_never_worse_than_any(bill, rate, offers):
    made = [
        Offer(i + 1, max(face, threshold), face, rule)
        for i, (face, threshold, rule) in enumerate(offers)
    ]
    found = stacking.options(bill_fen=bill, card_permille=rate, offers=made)
    for o in found:
        assert o.payable_fen >= 0
        assert o.payable_fen == o.bill_fen - o.card_discount_fen - o.voucher_face_fen
        rule = next((m.stacking for m in made if m.voucher_id == o.voucher_id), None)
        if rule == EXCLUSIVE:
            assert not (o.voucher_id and o.card_discount_fen)
    best = stacking.best(found)
    if found:
        assert all(best.payable_fen <= o.payable_fen for o in found)
