"""Risk rules against fake transactions (刷单). Pure functions, each unit-tested.

Each rule looks at one redemption in its context (`RiskContext`, built from the
database by `services.redemptions` in one query, or from synthetic data by
bench/risk.py) and returns a `Flag` with a stable code and a reason in
Chinese, or None. A redemption with any flag is held for an operator's review.

The context holds counts, not rows, so the till can read it in one statement
(`services.redemptions._risk_context`); `is_just_above` and `summarize_recent`
say what those counts mean for code that has the rows (the bench).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

# Thresholds: named, so the bench can report them and operators can read them.
PAIR_WINDOW = dt.timedelta(days=7)
PAIR_MAX = 3  # redemptions of one resident at one shop per week
NEAR_THRESHOLD_FEN = (
    200  # a bill within ¥2 (or 5 %) above the threshold is "just above"
)
NEAR_THRESHOLD_PERMILLE = 50
NEAR_LAST = 20  # the shop's most recent redemptions looked at
NEAR_SHARE = 0.5  # share of those bills just above their threshold
NEAR_MIN_SAMPLES = 8
SPIKE_FACTOR = 4  # today vs the shop's own daily median
SPIKE_MIN = 15
DEVICE_MAX_RESIDENTS = 5  # residents whose packets were claimed from one device/IP
CODE_LOCK_WATCH = dt.timedelta(days=1)  # after a pay-code lock, hold that wallet's uses


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str


@dataclass
class RiskContext:
    at: dt.datetime  # local time of the redemption
    bill_fen: int
    threshold_fen: int
    # This resident's redemptions at this shop within PAIR_WINDOW, before this.
    pair_recent: int = 0
    # The shop's last NEAR_LAST - 1 redemptions within 7 days: how many, and
    # how many of them were just above their threshold (`is_just_above`).
    shop_recent: int = 0
    shop_recent_near: int = 0
    shop_today: int = 0  # redemptions at this shop today, before this
    shop_daily_history: list[int] = field(default_factory=list)  # previous days' counts
    shop_open: bool | None = None  # None when the shop has no hours on file
    claim_source_residents: int = 0  # residents claimed from this one's device/IP
    resident_is_staff: bool = False
    resident_is_staff_family: bool = False
    # The resident's pay code was locked after repeated wrong tries lately.
    code_locked_recently: bool = False


def is_just_above(bill_fen: int, threshold_fen: int) -> bool:
    """Whether a bill sits within ¥2 (or 5 %) above its voucher's threshold.

    `services.redemptions._risk_context` computes the same test in SQL.
    """
    margin = max(NEAR_THRESHOLD_FEN, threshold_fen * NEAR_THRESHOLD_PERMILLE // 1000)
    return threshold_fen <= bill_fen <= threshold_fen + margin


def summarize_recent(samples: list[tuple[int, int]]) -> tuple[int, int]:
    """Return (count, near) over the newest NEAR_LAST - 1 (bill, threshold) samples.

    `samples` are oldest first, as a shop's history reads.
    """
    last = samples[-(NEAR_LAST - 1) :] if NEAR_LAST > 1 else []
    return len(last), sum(is_just_above(b, t) for b, t in last)


def pair_repeat(ctx: RiskContext) -> Flag | None:
    if ctx.pair_recent + 1 > PAIR_MAX:
        return Flag("pair_repeat", f"同一居民7天内在本店用券{ctx.pair_recent + 1}次")
    return None


def just_above_threshold(ctx: RiskContext) -> Flag | None:
    if not is_just_above(ctx.bill_fen, ctx.threshold_fen):
        return None
    samples = min(ctx.shop_recent, NEAR_LAST - 1) + 1
    if samples < NEAR_MIN_SAMPLES:
        return None
    share = (min(ctx.shop_recent_near, samples - 1) + 1) / samples
    if share >= NEAR_SHARE:
        return Flag(
            "just_above_threshold", f"本店近期{share:.0%}的用券消费金额刚好卡在门槛之上"
        )
    return None


def volume_spike(ctx: RiskContext) -> Flag | None:
    today = ctx.shop_today + 1
    if not ctx.shop_daily_history:
        return None
    baseline = statistics.median(ctx.shop_daily_history)
    if today >= max(SPIKE_MIN, SPIKE_FACTOR * baseline):
        return Flag(
            "volume_spike", f"本店今日用券{today}笔,远超日常({baseline:g}笔/日)"
        )
    return None


def outside_hours(ctx: RiskContext) -> Flag | None:
    if ctx.shop_open is False:
        return Flag("outside_hours", f"核销时间{ctx.at:%H:%M}不在本店营业时间内")
    return None


def shared_device(ctx: RiskContext) -> Flag | None:
    if ctx.claim_source_residents > DEVICE_MAX_RESIDENTS:
        return Flag(
            "shared_device",
            f"该券包领取所用设备/IP共为{ctx.claim_source_residents}位居民领券",
        )
    return None


def staff_self(ctx: RiskContext) -> Flag | None:
    if ctx.resident_is_staff:
        return Flag("staff_self", "店员核销自己的消费券")
    if ctx.resident_is_staff_family:
        return Flag("staff_family", "店员核销同户家人的消费券")
    return None


def code_guessed(ctx: RiskContext) -> Flag | None:
    if ctx.code_locked_recently:
        return Flag("code_guessed", "该居民付款码近期被多次输错并锁定,核销需人工复核")
    return None


RULES = (
    pair_repeat,
    just_above_threshold,
    volume_spike,
    outside_hours,
    shared_device,
    staff_self,
    code_guessed,
)


def evaluate(ctx: RiskContext) -> list[Flag]:
    """Return every flag the rules raise for this redemption (empty when clean)."""
    return [flag for rule in RULES if (flag := rule(ctx)) is not None]
