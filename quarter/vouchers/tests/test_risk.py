"""Each risk rule, given a context, flags what it should and nothing else."""

import datetime as dt

from quarter.vouchers import risk
from quarter.vouchers.risk import RiskContext

NOON = dt.datetime(2026, 11, 23, 12, 0)


def ctx(**kw):
    """Build a context; rows given as lists are turned into the counts it holds."""
    base = {"at": NOON, "bill_fen": 6800, "threshold_fen": 4000}
    if isinstance(kw.get("pair_recent"), list):
        kw["pair_recent"] = sum(NOON - t <= risk.PAIR_WINDOW for t in kw["pair_recent"])
    if isinstance(kw.get("shop_recent"), list):
        kw["shop_recent"], kw["shop_recent_near"] = risk.summarize_recent(
            kw["shop_recent"]
        )
    base.update(kw)
    return RiskContext(**base)


def test_clean_redemption_raises_no_flag():
    assert (
        risk.evaluate(ctx(shop_daily_history=[5, 6, 4], shop_today=3, shop_open=True))
        == []
    )


def test_pair_repeat_flags_fourth_visit_in_a_week():
    visits = [NOON - dt.timedelta(days=d) for d in (1, 2, 3)]
    assert risk.pair_repeat(ctx(pair_recent=visits[:2])) is None
    assert risk.pair_repeat(ctx(pair_recent=visits)).code == "pair_repeat"
    old = [NOON - dt.timedelta(days=d) for d in (8, 9, 10)]
    assert risk.pair_repeat(ctx(pair_recent=old)) is None


def test_just_above_threshold_needs_a_pattern_not_one_bill():
    assert risk.just_above_threshold(ctx(bill_fen=4050)) is None  # too few samples
    clustered = [(4000 + i * 10, 4000) for i in range(10)]
    assert risk.just_above_threshold(
        ctx(bill_fen=4050, shop_recent=clustered)
    ).code == ("just_above_threshold")
    spread = [(4000 + i * 1500, 4000) for i in range(10)]
    assert risk.just_above_threshold(ctx(bill_fen=4050, shop_recent=spread)) is None
    assert risk.just_above_threshold(ctx(bill_fen=9000, shop_recent=clustered)) is None


def test_volume_spike_against_shop_baseline():
    assert risk.volume_spike(ctx(shop_today=10, shop_daily_history=[4, 5, 6])) is None
    assert risk.volume_spike(ctx(shop_today=24, shop_daily_history=[4, 5, 6])).code == (
        "volume_spike"
    )
    assert risk.volume_spike(ctx(shop_today=40, shop_daily_history=[])) is None


def test_outside_hours_only_when_hours_are_known():
    assert risk.outside_hours(ctx(shop_open=False)).code == "outside_hours"
    assert risk.outside_hours(ctx(shop_open=True)) is None
    assert risk.outside_hours(ctx(shop_open=None)) is None


def test_shared_device_flags_many_residents_on_one_device():
    assert risk.shared_device(ctx(claim_source_residents=5)) is None
    assert risk.shared_device(ctx(claim_source_residents=6)).code == "shared_device"


def test_staff_self_and_family():
    assert risk.staff_self(ctx(resident_is_staff=True)).code == "staff_self"
    assert risk.staff_self(ctx(resident_is_staff_family=True)).code == "staff_family"
    assert risk.staff_self(ctx()) is None


def test_evaluate_collects_every_flag():
    flags = risk.evaluate(ctx(resident_is_staff=True, shop_open=False))
    assert {f.code for f in flags} == {"staff_self", "outside_hours"}
    assert all(f.reason for f in flags)


def test_just_above_threshold_looks_at_recent_bills_only():
    old_cluster = [(4000 + i, 4000) for i in range(30)]
    recent_spread = [(6000 + i * 700, 4000) for i in range(19)]
    assert (
        risk.just_above_threshold(
            ctx(bill_fen=4010, shop_recent=old_cluster + recent_spread)
        )
        is None
    )
    assert risk.just_above_threshold(
        ctx(bill_fen=4010, shop_recent=recent_spread + old_cluster)
    ).code == ("just_above_threshold")
    # A big threshold allows 5 % above it: ¥100 + ¥4.00 is still "just above".
    cluster_100 = [(10_000 + 400, 10_000)] * 10
    assert (
        risk.just_above_threshold(
            ctx(bill_fen=10_400, threshold_fen=10_000, shop_recent=cluster_100)
        )
        is not None
    )


def test_code_guessed_holds_after_a_pay_code_lock():
    assert risk.code_guessed(ctx()) is None
    flag = risk.code_guessed(ctx(code_locked_recently=True))
    assert flag.code == "code_guessed" and "锁定" in flag.reason
    assert [f.code for f in risk.evaluate(ctx(code_locked_recently=True))] == [
        "code_guessed"
    ]
