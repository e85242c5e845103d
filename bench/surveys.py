"""Survey results for a district: 300 circles, 20,000 responses, two closed waves.

    .venv/bin/python bench/surveys.py [--communities 300] [--responses 20000]
    DATABASE_URL=postgres://… .venv/bin/python bench/surveys.py   # PostgreSQL

Builds a reproducible synthetic district in a scratch SQLite file (or the
PostgreSQL database named by DATABASE_URL, whose survey and place tables it
fills, so point it at a scratch database): `--communities` communities of
four compounds each, two closed waves over all of them (the later one gets
`--responses` responses, the earlier half as many), each compound × age band
with a register population in its `Quota` row. Then it times

1. `satisfaction_by_community(all ids)` — the indicator sheet's selector —
   and `district_results(district)`, which compute in the database;
2. baseline: the same latest-wave figures computed in Python from every
   response row read into memory (what the selectors avoid); the answers
   must agree to 1e-9.

Last line: RESULT communities=… responses=… seconds=… district_seconds=…
vs_rows_in_python=…x (the baseline's time divided by the selector's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 15
BANDS = ("18-39", "40-59", "60-74", "75+")


def setup_django(scratch: str) -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(scratch) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
    os.environ.setdefault("QUARTER_DEMO", "1")
    os.environ["QUARTER_VAR_DIR"] = scratch
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(n_communities: int, n_responses: int, rng: random.Random):
    from django.db import transaction

    from quarter.places.models import Community, Compound, District, StreetOffice

    with transaction.atomic():
        district = District.objects.create(
            city="合成市", name=f"合成区{rng.random():.6f}"
        )
        street = StreetOffice.objects.create(district=district, name="合成街道")
        communities = Community.objects.bulk_create(
            Community(
                name=f"合成社区{i}",
                slug=f"bench-{district.pk}-{i}",
                street_office=street,
                area_km2="0.5",
                center_lat=30.0,
                center_lng=120.0,
            )
            for i in range(n_communities)
        )
        compounds = Compound.objects.bulk_create(
            Compound(
                community=c,
                name=f"小区{j}",
                lat=30.0,
                lng=120.0,
                households=500,
                population=1500,
            )
            for c in communities
            for j in range(4)
        )
        waves = add_waves(district, communities, compounds, n_responses, rng)
    return district, [c.pk for c in communities], waves


def add_waves(district, communities, compounds, n_responses: int, rng) -> list:
    """Two closed district waves over `communities`: n/2 responses half a year
    ago, n now, spread over `compounds`, with quotas per compound × age band."""
    from quarter.surveys.models import Quota, Response, Wave, WaveState

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    waves = []
    for k, (count, closed) in enumerate(
        ((n_responses // 2, now - dt.timedelta(days=180)), (n_responses, now))
    ):
        wave = Wave.objects.create(
            name=f"第{k + 1}次测评",
            district=district,
            state=WaveState.CLOSED,
            created_at=closed - dt.timedelta(days=30),
            opened_at=closed - dt.timedelta(days=30),
            closed_at=closed,
        )
        wave.communities.set(communities)
        Quota.objects.bulk_create(
            Quota(
                wave=wave,
                compound=cp,
                age_band=b,
                population=rng.randint(50, 600),
                target=10,
            )
            for cp in compounds
            for b in BANDS
        )
        Response.objects.bulk_create(
            (_response(rng, wave, rng.choice(compounds), now) for _ in range(count)),
            batch_size=2000,
        )
        waves.append(wave)
    return waves


def _response(rng, wave, compound, now):
    from quarter.surveys.models import Response

    known = rng.randint(5, 8)
    return Response(
        wave=wave,
        community_id=compound.community_id,
        compound=compound,
        age_band=rng.choice(BANDS),
        source="paper",
        verified=rng.random() > 0.05,
        satisfied=sum(rng.random() < 0.88 for _ in range(known)),
        known=known,
        submitted_on=now.date(),
    )


def rows_in_python(community_ids, latest_wave):
    """Baseline: read every response and quota row, estimate per community."""
    from quarter.surveys.models import Quota, Response
    from quarter.surveys.selectors import Cell, estimate

    sums = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for r in Response.objects.filter(
        wave=latest_wave, community_id__in=community_ids, verified=True
    ):
        cell = sums[r.community_id][(r.compound_id, r.age_band)]
        cell[0] += 1
        cell[1] += r.satisfied
        cell[2] += r.known
    population = {
        (q.compound_id, q.age_band): q.population
        for q in Quota.objects.filter(wave=latest_wave)
    }
    out = {}
    for cid in community_ids:
        cells = {k: Cell(*v) for k, v in sums[cid].items()}
        out[cid] = estimate(cells, {k: population.get(k, 0) for k in cells}).rate
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        setup_django(scratch)
        from django.db import connection

        from quarter.surveys.selectors import (
            district_results,
            satisfaction_by_community,
        )

        rng = random.Random(SEED)
        t = time.perf_counter()
        district, ids, waves = build(args.communities, args.responses, rng)
        print(f"built in {time.perf_counter() - t:.1f}s on {connection.vendor}")

        t = time.perf_counter()
        figures = satisfaction_by_community(ids)
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        roll_up = district_results(district)
        district_seconds = time.perf_counter() - t
        t = time.perf_counter()
        baseline = rows_in_python(ids, waves[-1])
        baseline_seconds = time.perf_counter() - t

        for cid in ids:
            ours, theirs = figures[cid].rate, baseline[cid]
            assert (ours is None and theirs is None) or abs(ours - theirs) < 1e-9
        rated = sum(1 for f in figures.values() if f.rate is not None)
        print(
            f"satisfaction_by_community: {seconds:.3f}s for {len(ids)} communities "
            f"({rated} with a rate); district_results: {district_seconds:.3f}s "
            f"(district {roll_up.overall.rate:.3f}); rows in Python: "
            f"{baseline_seconds:.3f}s"
        )
        print(
            f"RESULT communities={len(ids)} responses={args.responses} "
            f"seconds={seconds:.3f} district_seconds={district_seconds:.3f} "
            f"vs_rows_in_python={baseline_seconds / seconds:.1f}x"
        )


if __name__ == "__main__":
    main()
