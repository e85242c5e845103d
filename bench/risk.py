#!/usr/bin/env python
"""Risk rules against a synthetic month of voucher redemptions with injected fraud.

The generator knows nothing of the rules' thresholds: honest shops and
residents follow their own habits (daily volumes, bills spread above the
threshold, opening hours, a family now and then sharing a phone), and six
fraud patterns are injected with their own parameters, labelled:

  pair_repeat          a resident and a shop cycling vouchers day after day
  just_above_threshold a shop ringing up fake bills a little over the threshold
  volume_spike         a shop pushing a burst of redemptions through in a day
  outside_hours        redemptions keyed in while the shop is closed
  shared_device        one phone claiming packets for a ring of residents
  staff_self           staff redeeming their own or their family's vouchers

Every redemption runs through `quarter.vouchers.risk.evaluate` with the context
the service would build; prints precision and recall per pattern, and the
lift over a baseline that flags the same number of redemptions at random.

    .venv/bin/python bench/risk.py [--seed 7] [--days 30]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quarter.vouchers import risk  # noqa: E402

PATTERNS = [
    "pair_repeat",
    "just_above_threshold",
    "volume_spike",
    "outside_hours",
    "shared_device",
    "staff_self",
]
RULE_TO_PATTERN = {"staff_family": "staff_self"}
THRESHOLDS = [2000, 4000, 8000, 10000]


def generate(seed: int, days: int):
    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 27)
    shops = []
    for s in range(80):
        open_h, close_h = rng.choice([(7, 21), (8, 22), (10, 22), (6, 14), (9, 20)])
        shops.append(
            {
                "id": s,
                "daily": rng.lognormvariate(2.0, 0.6),
                "open": open_h,
                "close": close_h,
                "staff": set(),
            }
        )
    residents = list(range(5000))
    device_of = {}  # resident -> device that claimed the packet
    for r in residents:
        device_of[r] = f"phone-{r}"
    # Honest families: 2–4 residents sharing one phone (a real pattern, not fraud).
    for _ in range(300):
        family = rng.sample(residents, rng.randint(2, 4))
        for r in family:
            device_of[r] = f"family-{family[0]}"
    household = {r: r // 3 for r in residents}
    for shop in shops:
        shop["staff"] = set(rng.sample(residents, 2))

    events = []  # (time, shop, resident, bill, threshold, label)

    def honest_bill(threshold):
        return int(threshold * (1 + rng.lognormvariate(-0.6, 0.7)) // 10 * 10)

    for day in range(days):
        date = start + dt.timedelta(days=day)
        for shop in shops:
            n = max(0, int(rng.gauss(shop["daily"], shop["daily"] ** 0.5)))
            for _ in range(n):
                minute = rng.randint(shop["open"] * 60, shop["close"] * 60 - 1)
                t = date + dt.timedelta(minutes=minute)
                threshold = rng.choice(THRESHOLDS)
                r = rng.choice(residents)
                while r in shop["staff"]:
                    r = rng.choice(residents)
                events.append(
                    (t, shop["id"], r, honest_bill(threshold), threshold, None)
                )

    def in_hours(shop, date):
        return date + dt.timedelta(
            minutes=rng.randint(shop["open"] * 60, shop["close"] * 60 - 1)
        )

    fraud_rng = random.Random(seed + 1)
    # pair_repeat: colluding pairs, 4–9 visits on consecutive-ish days.
    for _ in range(25):
        shop = fraud_rng.choice(shops)
        r = fraud_rng.choice(residents)
        day = fraud_rng.randint(0, days - 12)
        for _ in range(fraud_rng.randint(4, 9)):
            day += fraud_rng.choice([1, 1, 2])
            if day >= days:
                break
            t = in_hours(shop, start + dt.timedelta(days=day))
            th = fraud_rng.choice(THRESHOLDS)
            events.append((t, shop["id"], r, honest_bill(th), th, "pair_repeat"))
    # just_above_threshold: 4 shops, for a week most of their bills sit at
    # threshold + ≤ ¥3.
    for shop in fraud_rng.sample(shops, 4):
        first = fraud_rng.randint(3, days - 8)
        for day in range(first, first + 7):
            for _ in range(fraud_rng.randint(6, 14)):
                th = fraud_rng.choice(THRESHOLDS)
                t = in_hours(shop, start + dt.timedelta(days=day))
                events.append(
                    (
                        t,
                        shop["id"],
                        fraud_rng.choice(residents),
                        th + fraud_rng.randint(0, 300),
                        th,
                        "just_above_threshold",
                    )
                )
    # volume_spike: 5 shop-days with 4–10 × the shop's usual volume.
    for shop in fraud_rng.sample(shops, 5):
        day = fraud_rng.randint(15, days - 1)
        extra = int(shop["daily"] * fraud_rng.uniform(4, 10)) + 10
        for _ in range(extra):
            th = fraud_rng.choice(THRESHOLDS)
            t = in_hours(shop, start + dt.timedelta(days=day))
            events.append(
                (
                    t,
                    shop["id"],
                    fraud_rng.choice(residents),
                    honest_bill(th),
                    th,
                    "volume_spike",
                )
            )
    # outside_hours: 60 redemptions keyed in at night.
    for _ in range(60):
        shop = fraud_rng.choice(shops)
        day = fraud_rng.randint(0, days - 1)
        hour = fraud_rng.choice([0, 1, 2, 3, 4, 23])
        t = start + dt.timedelta(days=day, hours=hour, minutes=fraud_rng.randint(0, 59))
        if shop["open"] <= hour < shop["close"]:
            continue
        th = fraud_rng.choice(THRESHOLDS)
        events.append(
            (
                t,
                shop["id"],
                fraud_rng.choice(residents),
                honest_bill(th),
                th,
                "outside_hours",
            )
        )
    # shared_device: 12 rings of 4–25 residents claimed from one phone, then spent.
    for ring in range(12):
        members = fraud_rng.sample(residents, fraud_rng.randint(4, 25))
        for r in members:
            device_of[r] = f"ring-{ring}"
        for r in members:
            shop = fraud_rng.choice(shops)
            th = fraud_rng.choice(THRESHOLDS)
            t = in_hours(
                shop, start + dt.timedelta(days=fraud_rng.randint(0, days - 1))
            )
            events.append((t, shop["id"], r, honest_bill(th), th, "shared_device"))
    # staff_self: staff redeem their own (or a household member's) vouchers.
    for _ in range(50):
        shop = fraud_rng.choice(shops)
        staff = fraud_rng.choice(sorted(shop["staff"]))
        r = staff if fraud_rng.random() < 0.6 else staff + (1 if staff % 3 < 2 else -1)
        th = fraud_rng.choice(THRESHOLDS)
        t = in_hours(shop, start + dt.timedelta(days=fraud_rng.randint(0, days - 1)))
        events.append((t, shop["id"], r, honest_bill(th), th, "staff_self"))
    # Every voucher of a ring member was claimed from the ring's phone: all their
    # redemptions carry the ring's packets, so they are labelled with it too.
    ring_members = {r for r, d in device_of.items() if d.startswith("ring-")}
    events = [
        (
            t,
            s,
            r,
            b,
            th,
            "shared_device" if label is None and r in ring_members else label,
        )
        for t, s, r, b, th, label in events
    ]
    events.sort(key=lambda e: e[0])
    return shops, device_of, household, events


def evaluate(shops, device_of, household, events):
    pair = collections.defaultdict(list)
    shop_bills = collections.defaultdict(collections.deque)
    day_counts = collections.defaultdict(collections.Counter)
    device_residents = collections.defaultdict(set)
    for r, d in device_of.items():
        device_residents[d].add(r)
    staff_households = {s["id"]: {household[x] for x in s["staff"]} for s in shops}
    out = []
    for t, sid, r, bill, th, label in events:
        shop = shops[sid]
        today = t.date()
        bills = shop_bills[sid]
        while bills and t - bills[0][0] > dt.timedelta(days=7):
            bills.popleft()
        history = [day_counts[sid][today - dt.timedelta(days=b)] for b in range(1, 15)]
        recent_n, recent_near = risk.summarize_recent([(b, h) for _, b, h in bills])
        ctx = risk.RiskContext(
            at=t,
            bill_fen=bill,
            threshold_fen=th,
            pair_recent=sum(t - x <= risk.PAIR_WINDOW for x in pair[(r, sid)]),
            shop_recent=recent_n,
            shop_recent_near=recent_near,
            shop_today=day_counts[sid][today],
            shop_daily_history=history if any(history) else [],
            shop_open=shop["open"] <= t.hour < shop["close"],
            claim_source_residents=len(device_residents[device_of[r]]),
            resident_is_staff=r in shop["staff"],
            resident_is_staff_family=r not in shop["staff"]
            and household[r] in staff_households[sid],
        )
        flags = {RULE_TO_PATTERN.get(f.code, f.code) for f in risk.evaluate(ctx)}
        out.append((label, flags))
        pair[(r, sid)].append(t)
        bills.append((t, bill, th))
        day_counts[sid][today] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    shops, device_of, household, events = generate(args.seed, args.days)
    results = evaluate(shops, device_of, household, events)
    total = len(results)
    print(
        f"{total:,} redemptions over {args.days} days at {len(shops)} shops; "
        f"{sum(1 for label, _ in results if label):,} injected fraud"
    )
    print(
        f"{'pattern':22} {'injected':>8} {'flagged':>8} {'TP':>6} {'precision':>9} "
        f"{'recall':>7} {'baseline P':>10} {'lift':>6}"
    )
    macro_p, macro_r = [], []
    for pattern in PATTERNS:
        actual = sum(1 for label, _ in results if label == pattern)
        flagged = sum(1 for _, flags in results if pattern in flags)
        tp = sum(1 for label, flags in results if label == pattern and pattern in flags)
        precision = tp / flagged if flagged else 0.0
        recall = tp / actual if actual else 0.0
        base = actual / total  # a random flagger's precision at any volume
        macro_p.append(precision)
        macro_r.append(recall)
        print(
            f"{pattern:22} {actual:8d} {flagged:8d} {tp:6d} "
            f"{precision:9.2f} {recall:7.2f} "
            f"{base:10.4f} {precision / base if base else 0:6.0f}×"
        )
    any_flag = sum(1 for _, flags in results if flags)
    any_tp = sum(1 for label, flags in results if label and flags)
    fraud = sum(1 for label, _ in results if label)
    print(
        f"{'any fraud':22} {fraud:8d} {any_flag:8d} {any_tp:6d} "
        f"{any_tp / any_flag if any_flag else 0:9.2f} "
        f"{any_tp / fraud if fraud else 0:7.2f}"
    )
    held_share = any_flag / total
    print(
        f"RESULT macro_precision={sum(macro_p) / len(macro_p):.2f} "
        f"macro_recall={sum(macro_r) / len(macro_r):.2f} held_share={held_share:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
