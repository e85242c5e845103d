"""Offline evaluation of 为你推荐 on a synthetic year, and the warm page time.

    .venv/bin/python bench/feed.py [--holdout 3] [--seed 7] [--rounds 30]

1. Loads the demo (锦绣社区, 东河社区: their real shops and compounds) into
   a fresh SQLite database.
2. `bench/feed_behaviour.py` (which knows nothing of the recommender) makes a
   year of visits for synthetic residents of the demo compounds; its
   settings are printed.
3. Per resident, the last `--holdout` visits are held out; everything is
   trained on the rest. Each held-out visit is one question: "the resident
   opens the app at that moment: is the shop they went to in the top 10?"
   Recall@10 is the share of held-out visits found in the top 10, NDCG@10
   their mean 1/log2(rank+1) (one relevant shop per question).
4. Three rankers answer, each from the training visits only:
   - popular-nearby (the baseline): shops within the feed's walking reach of
     the resident's compound, most visited by that compound first (then by
     everyone), then nearest;
   - the feed: `quarter.feed.ranking.rank` with inputs built as the page
     builds them (own visits and hours, item-item neighbours from
     `quarter.feed.itemsim`, the compound's counts, type-by-hour counts);
     the household profile is left unknown (no ages in the generator);
   - a plain implicit-feedback model from a library: `implicit` ALS on
     BM25-weighted counts, top 10 over all shops (a second reference).
5. Times the warm feed (`selectors.get_feed`) and the warm home page (which
   shows it) for the demo resident, server side, in process.

Last line: RESULT recall10=… ndcg10=… baseline_recall10=… baseline_ndcg10=…
lift=… feed_ms=… (lift: the smaller of the two relative gains over the baseline).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit's advice

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import feed_behaviour  # noqa: E402

K = 10


def setup_django(db_path: str) -> None:
    os.environ["SQLITE_PATH"] = db_path
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
    os.environ.setdefault("QUARTER_DEMO", "1")
    os.environ["QUARTER_VAR_DIR"] = str(Path(db_path).parent)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world():
    from quarter.places.models import Compound, Merchant

    shops = [
        {"id": m["pk"], "type": m["main_type__code"], "lat": m["lat"], "lng": m["lng"]}
        for m in Merchant.objects.filter(admission="approved", status="open").values(
            "pk", "main_type__code", "lat", "lng"
        )
    ]
    compounds = list(Compound.objects.values("id", "lat", "lng", "households"))
    names = dict(Merchant.objects.values_list("pk", "main_type__name_zh"))
    return shops, compounds, names


def split(visits, holdout: int):
    by_person = defaultdict(list)
    for v in visits:
        by_person[v.person].append(v)
    train, test = [], []
    for seq in by_person.values():
        if len(seq) <= holdout + 2:
            train += seq
            continue
        train += seq[:-holdout]
        test += seq[-holdout:]
    return train, test


def metrics(ranks: list[int | None]) -> tuple[float, float]:
    n = len(ranks)
    recall = sum(r is not None for r in ranks) / n
    ndcg = sum(1 / math.log2(r + 1) for r in ranks if r is not None) / n
    return recall, ndcg


def rank_of(ids: list[int], wanted: int) -> int | None:
    try:
        return ids[:K].index(wanted) + 1
    except ValueError:
        return None


class Candidates:
    """Shops within the feed's reach of each compound, with walking minutes."""

    def __init__(self, shops, compounds):
        from quarter.core.geo import haversine_m
        from quarter.feed.selectors import reach_radius_m
        from quarter.places.everyday import walking_minutes

        radius = reach_radius_m()
        self.by_compound = {}
        for c in compounds:
            rows = []
            for s in shops:
                d = haversine_m(c["lat"], c["lng"], s["lat"], s["lng"])
                if d <= radius:
                    rows.append((s, walking_minutes(d)[0]))
            self.by_compound[c["id"]] = rows


def baseline_ranker(train, people, cands):
    per_compound = defaultdict(Counter)
    overall = Counter()
    for v in train:
        per_compound[people[v.person].compound_id][v.shop] += 1
        overall[v.shop] += 1
    cache = {}

    def ranked(person, _at):
        cid = people[person].compound_id
        if cid not in cache:
            rows = cands.by_compound[cid]
            cache[cid] = [
                s["id"]
                for s, minutes in sorted(
                    rows,
                    key=lambda r: (
                        -per_compound[cid][r[0]["id"]],
                        -overall[r[0]["id"]],
                        r[1],
                    ),
                )
            ]
        return cache[cid]

    return ranked


def feed_ranker(train, people, cands, names):
    from quarter.feed import itemsim, ranking
    from quarter.feed.models import SLOTS, slot_of

    per_person = defaultdict(lambda: defaultdict(list))
    compound_visits = defaultdict(Counter)
    compound_visitors = defaultdict(lambda: defaultdict(set))
    type_of = {
        s["id"]: s["type"] for rows in cands.by_compound.values() for s, _m in rows
    }
    type_slots = defaultdict(lambda: [0] * len(SLOTS))
    for v in train:
        per_person[v.person][v.shop].append(v.at)
        cid = people[v.person].compound_id
        compound_visits[cid][v.shop] += 1
        compound_visitors[cid][v.shop].add(v.person)
        if v.shop in type_of:
            type_slots[type_of[v.shop]][slot_of(v.at.hour)] += 1
    rows = [
        (p, m, len(ats)) for p, shops in per_person.items() for m, ats in shops.items()
    ]
    neighbours = itemsim.train(rows)
    shop_pos = {s["id"]: s for r in cands.by_compound.values() for s, _m in r}

    def ranked(person, at):
        cid = people[person].compound_id
        habits = {}
        for m, ats in per_person[person].items():
            if m not in shop_pos:
                continue
            slots = [0] * len(SLOTS)
            for t in ats:
                slots[slot_of(t.hour)] += 1
            s = shop_pos[m]
            habits[m] = ranking.Habit(
                merchant_id=m,
                name=str(m),
                type_code=s["type"],
                type_name=names.get(m, ""),
                lat=s["lat"],
                lng=s["lng"],
                visits=len(ats),
                slot_visits=slots,
                days_since=(at - max(ats)).total_seconds() / 86400,
            )
        shops = [
            ranking.Shop(
                id=s["id"],
                name=str(s["id"]),
                type_code=s["type"],
                type_name=names.get(s["id"], ""),
                lat=s["lat"],
                lng=s["lng"],
                minutes=minutes,
                compound_visits=compound_visits[cid][s["id"]],
                compound_visitors=len(compound_visitors[cid][s["id"]]),
            )
            for s, minutes in cands.by_compound[cid]
        ]
        picks = ranking.rank(
            shops,
            ranking.Profile(habits=habits),
            slot=slot_of(at.hour),
            type_slots=dict(type_slots),
            neighbours=neighbours,
            limit=K,
        )
        return [p.shop.id for p in picks]

    return ranked


def als_ranker(train, people, seed: int):
    from implicit.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight
    from scipy import sparse

    items = sorted({v.shop for v in train})
    index = {m: i for i, m in enumerate(items)}
    counts = Counter((v.person, index[v.shop]) for v in train)
    u, i = zip(*counts, strict=True)
    matrix = sparse.csr_matrix(
        (np.array(list(counts.values()), dtype=np.float32), (u, i)),
        shape=(len(people), len(items)),
    )
    weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr()
    model = AlternatingLeastSquares(
        factors=32, regularization=0.05, iterations=20, random_state=seed
    )
    model.fit(weighted, show_progress=False)

    def ranked(person, _at):
        ids, _scores = model.recommend(
            person, weighted[person], N=K, filter_already_liked_items=False
        )
        return [items[j] for j in ids]

    return ranked


def evaluate(ranker, test) -> tuple[float, float]:
    return metrics([rank_of(ranker(v.person, v.at), v.shop) for v in test])


def time_page(rounds: int) -> dict[str, float]:
    """Median warm server times (ms): the feed alone, the home page with it,
    and the same home page with the feed switched off (the baseline)."""
    from django.test import Client

    from quarter.core import clock
    from quarter.feed.selectors import get_feed
    from quarter.feed.templatetags import feed as feed_tag
    from quarter.people.models import Resident

    resident = Resident.objects.select_related("user").get(phone="13800000001")
    client = Client()
    client.force_login(resident.user)
    clock.freeze(clock.local_now().replace(hour=7, minute=30))
    times: dict[str, list[float]] = defaultdict(list)

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        times[name].append((time.perf_counter() - t) * 1000)
        return out

    try:
        client.get("/")  # warm: jieba, caches, templates
        for _ in range(rounds):
            timed("feed", lambda: get_feed(actor=resident.user))
            page = timed("page", lambda: client.get("/"))
            assert page.status_code == 200 and 'id="for-you"' in page.text
            feed_tag.get_feed = lambda **_kw: []
            try:
                bare = timed("page_without_feed", lambda: client.get("/"))
            finally:
                feed_tag.get_feed = get_feed
            assert bare.status_code == 200 and 'id="for-you"' not in bare.text
    finally:
        clock.freeze(None)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holdout", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(str(Path(tmp) / "feed.sqlite3"))
        from quarter.demo.services import load_demo

        started = time.perf_counter()
        load_demo()
        print(f"demo loaded in {time.perf_counter() - started:.0f} s")
        shops, compounds, names = world()
        settings = feed_behaviour.Settings(seed=args.seed)
        print("generator settings:")
        for line in settings.describe():
            print("  " + line)
        people, visits = feed_behaviour.generate(shops, compounds, settings)
        train, test = split(visits, args.holdout)
        print(
            f"{len(people)} residents, {len(shops)} shops, {len(compounds)} compounds;"
            f" {len(visits)} visits: {len(train)} train, {len(test)} held out"
        )
        cands = Candidates(shops, compounds)
        results = {}
        for name, make in (
            (
                "popular-nearby (baseline)",
                lambda: baseline_ranker(train, people, cands),
            ),
            ("feed", lambda: feed_ranker(train, people, cands, names)),
            ("implicit ALS (reference)", lambda: als_ranker(train, people, args.seed)),
        ):
            t = time.perf_counter()
            ranker = make()
            results[name] = evaluate(ranker, test)
            r, n = results[name]
            print(
                f"{name:28s} recall@10={r:.3f} ndcg@10={n:.3f}"
                f"  ({time.perf_counter() - t:.1f} s)"
            )
        timing = time_page(args.rounds)
        print(
            f"warm, server side, median of {args.rounds}: feed (get_feed) "
            f"{timing['feed']:.1f} ms (goal < 100 ms); home page with the feed "
            f"{timing['page']:.1f} ms, without it {timing['page_without_feed']:.1f} ms "
            f"(ratio {timing['page'] / timing['page_without_feed']:.2f})"
        )
    recall, ndcg = results["feed"]
    b_recall, b_ndcg = results["popular-nearby (baseline)"]
    lift = min(recall / b_recall - 1, ndcg / b_ndcg - 1)
    print(
        f"RESULT recall10={recall:.3f} ndcg10={ndcg:.3f} "
        f"baseline_recall10={b_recall:.3f} baseline_ndcg10={b_ndcg:.3f} "
        f"lift={lift:.1%} feed_ms={timing['feed']:.1f}"
    )


if __name__ == "__main__":
    main()
