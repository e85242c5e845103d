"""Measure search quality on everyday queries: the new search vs substring search.

Loads the demo (both communities, a fresh SQLite database in a temp dir), then
runs every query of `bench/data/search_queries.csv` (labelled by hand, see its
header for where the queries come from) from one compound of each community,
as a resident of that compound would search:

* new: `everyday.find_merchants` as the search page calls it (scoped to the
  15-minute area; when nothing is in scope, the nearest shops of the type it
  suggests, which the page shows);
* baseline: `selectors.search_merchants` as the page called it before
  (substring phrases, nearest first).

A (query, compound) pair is a hit when one of the first five shops shown has
a labelled type; MRR uses the rank of the first such shop (0 when none).
Figures are printed for all queries, for the held-out third (`heldout`) and
for the `fresh` ones: written after the lexicon was frozen, never tuned on.

    .venv/bin/python bench/search_quality.py [--show-misses]

Last line: RESULT hit5=… baseline_hit5=… mrr=… … heldout_hit5=… fresh_hit5=…
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERIES = ROOT / "bench" / "data" / "search_queries.csv"


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


def read_queries() -> list[dict]:
    with QUERIES.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    for row in rows:
        row["types"] = set(row["types"].split())
    return rows


def rank_of_first_hit(types_shown: list[str], wanted: set[str]) -> int:
    for i, code in enumerate(types_shown[:5], start=1):
        if code in wanted:
            return i
    return 0


def new_types(query: str, origin) -> list[str]:
    from quarter.places.everyday import find_merchants

    result = find_merchants(query=query, origin=origin, limit=5)
    hits = result.hits or result.suggestions
    return [h.merchant.main_type.code for h in hits]


def baseline_types(query: str, origin) -> list[str]:
    from quarter.places.selectors import search_merchants

    result = search_merchants(query=query, origin=origin, sort="distance", limit=5)
    return [h.merchant.main_type.code for h in result.hits]


def summarise(ranks: list[int]) -> tuple[float, float]:
    if not ranks:
        return 0.0, 0.0
    hit5 = sum(r > 0 for r in ranks) / len(ranks)
    mrr = sum(1 / r for r in ranks if r) / len(ranks)
    return hit5, mrr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(str(Path(tmp) / "quality.sqlite3"))
        from quarter.demo.services import load_demo
        from quarter.places.models import Compound

        load_demo()
        origins = []
        for slug in ("jinxiu", "donghe"):
            c = Compound.objects.filter(community__slug=slug).order_by("id").first()
            origins.append((c.name, (c.lat, c.lng)))
        queries = read_queries()
        ranks = {"new": [], "base": [], "new_held": [], "base_held": []}
        ranks |= {"new_fresh": [], "base_fresh": []}
        misses = []
        started = time.perf_counter()
        for row in queries:
            for name, origin in origins:
                new = rank_of_first_hit(new_types(row["query"], origin), row["types"])
                base = rank_of_first_hit(
                    baseline_types(row["query"], origin), row["types"]
                )
                ranks["new"].append(new)
                ranks["base"].append(base)
                if row["split"] == "heldout":
                    ranks["new_held"].append(new)
                    ranks["base_held"].append(base)
                if row["split"] == "fresh":
                    ranks["new_fresh"].append(new)
                    ranks["base_fresh"].append(base)
                if not new:
                    misses.append(f"{row['query']} @ {name} ({row['split']})")
        elapsed = time.perf_counter() - started
        n = len(ranks["new"])
        hit5, mrr = summarise(ranks["new"])
        base_hit5, base_mrr = summarise(ranks["base"])
        held_hit5, held_mrr = summarise(ranks["new_held"])
        base_held, _ = summarise(ranks["base_held"])
        fresh_hit5, fresh_mrr = summarise(ranks["new_fresh"])
        base_fresh, _ = summarise(ranks["base_fresh"])
        print(f"queries: {len(queries)} × {len(origins)} compounds = {n} searches")
        print(f"time: {elapsed:.1f} s ({elapsed / n / 2 * 1000:.1f} ms per search)")
        print(f"new search      hit@5 {hit5:.3f}  MRR {mrr:.3f}")
        print(f"substring today hit@5 {base_hit5:.3f}  MRR {base_mrr:.3f}")
        print(
            f"held-out third  hit@5 {held_hit5:.3f}  MRR {held_mrr:.3f}"
            f"  (substring {base_held:.3f}, {len(ranks['new_held'])} searches)"
        )
        print(
            f"fresh (unseen)  hit@5 {fresh_hit5:.3f}  MRR {fresh_mrr:.3f}"
            f"  (substring {base_fresh:.3f}, {len(ranks['new_fresh'])} searches)"
        )
        if args.show_misses:
            for miss in misses:
                print("miss:", miss)
        print(
            f"RESULT hit5={hit5:.3f} baseline_hit5={base_hit5:.3f} mrr={mrr:.3f} "
            f"baseline_mrr={base_mrr:.3f} heldout_hit5={held_hit5:.3f} "
            f"fresh_hit5={fresh_hit5:.3f}"
        )


if __name__ == "__main__":
    main()
