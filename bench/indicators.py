#!/usr/bin/env python
"""The whole indicator sheet of a synthetic district, on SQLite and PostgreSQL.

    .venv/bin/python bench/indicators.py [--circles 300] [--engine both|sqlite|postgres]
                                         [--seed 7] [--baseline-sample 0]

Builds a reproducible district (seeded): `--circles` communities in 10 street
offices, 10–30 compounds each (about 600 k residents in 240 k households for
300 circles), 100 outlets per circle (30 k; most approved, some applications,
a third of them chains, types drawn with realistic weights; in 60 % of the
circles one of every required type sits near the centre), and the
stored walking reach coverage would have computed — the estimated distance
(straight line × 1.3, as coverage does without a street network) from every
compound to the nearest approved open outlet of every type within the 2.4 km
cap — so no walking is computed here. Then, per engine, in a fresh database
(a throw-away PostgreSQL cluster for postgres):

1. times the whole district sheet (`selectors.district_sheet`: every circle,
   ranked against the bar) and the XLSX export built from it;
2. baseline in the same run: the naive per-circle loop, coverage's
   `build_gap_report` for each circle (what the district planning page does),
   and checks that both give the same figures for every circle.

Last line: RESULT circles=… seconds=… survey_seconds=… (the slower engine's
sheet seconds and survey results seconds, 20,000 responses by default)
with each engine's sheet, export and baseline seconds beside it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable

TYPE_WEIGHTS = {
    "convenience_store": 12,
    "supermarket": 4,
    "wet_market": 1,
    "fresh_grocery": 5,
    "breakfast": 8,
    "laundry": 3,
    "hair_beauty": 8,
    "photo_print": 2,
    "housekeeping": 2,
    "repair": 3,
    "pharmacy": 5,
    "parcel_post": 4,
    "recycling": 1,
    "restaurant": 14,
    "bookstore": 1,
    "fitness": 2,
    "wellness": 2,
    "education": 4,
    "leisure": 2,
    "cafe": 3,
    "pet_service": 1,
    "elderly_care": 1,
    "childcare": 1,
    "hospital": 0.2,
    "health_centre": 0.5,
    "clinic": 2,
    "bank_gov": 2,
}


# --- the parent: one fresh database per engine, one child process each -----------


def _child_env(base: Path, database_url: str | None) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="quarter.settings",
        DEBUG="1",
        QUARTER_VAR_DIR=str(base / "var"),
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(base / "bench.sqlite3")
    return env


def _run_engine(engine: str, args, base: Path) -> dict:
    from quarter.core.loopback import PostgresServer

    pg = None
    try:
        url = None
        if engine == "postgres":
            pg = PostgresServer(base / "pg", durable=False)
            url = pg.start()
        env = _child_env(base, url)
        subprocess.run(
            [PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        out = subprocess.run(
            [
                PY,
                __file__,
                "--child",
                "--circles",
                str(args.circles),
                "--seed",
                str(args.seed),
                "--responses",
                str(args.responses),
                "--engine",
                engine,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        figures = {}
        for line in out.stdout.splitlines():
            if line.startswith("ENGINE "):
                figures = dict(kv.split("=") for kv in line.split()[1:])
            else:
                print(f"[{engine}] {line}", flush=True)
        return figures
    finally:
        if pg is not None:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument(
        "--engine", choices=["both", "sqlite", "postgres"], default="both"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    results = {}
    for engine in engines:
        base = Path(tempfile.mkdtemp(prefix=f"quarter-indicators-{engine}-"))
        os.chmod(base, 0o755)
        try:
            results[engine] = _run_engine(engine, args, base)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    worst = max(float(r["sheet"]) for r in results.values())
    worst_survey = max(float(r["survey"]) for r in results.values())
    parts = " ".join(
        f"{e}_seconds={r['sheet']} {e}_export={r['export']} "
        f"{e}_baseline={r['baseline']} {e}_vs_baseline={r['ratio']}x"
        for e, r in results.items()
    )
    print(
        f"RESULT circles={args.circles} seconds={worst:.3f} "
        f"survey_seconds={worst_survey:.3f} {parts}"
    )


# --- the child: build the district, time the sheet and the baseline ------------


def child(args) -> None:
    import django

    django.setup()
    import numpy as np

    started = time.perf_counter()
    district = build_district(args.circles, np.random.default_rng(args.seed))
    print(f"built in {time.perf_counter() - started:.1f} s: {describe(district)}")

    from quarter.core.actors import SYSTEM
    from quarter.coverage.selectors import build_gap_report
    from quarter.indicators import exports, selectors
    from quarter.places.models import Community, Compound
    from quarter.surveys.selectors import district_results, satisfaction_by_community

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from surveys import add_waves  # bench/surveys.py: the same synthetic answers

    circles = list(Community.objects.filter(street_office__district=district))
    add_waves(
        district,
        circles,
        list(Compound.objects.filter(community__in=circles)),
        args.responses,
        random.Random(args.seed),
    )
    ids = [c.pk for c in circles]
    satisfaction_by_community(ids)  # warm caches
    started = time.perf_counter()
    measured = satisfaction_by_community(ids)
    district_results(district)
    survey_seconds = time.perf_counter() - started
    print(
        f"survey results: {args.responses} responses, {len(measured)} circles "
        f"and the district roll-up in {survey_seconds:.3f} s"
    )

    selectors.district_sheet(actor=SYSTEM, district=district)  # warm caches
    started = time.perf_counter()
    sheet = selectors.district_sheet(actor=SYSTEM, district=district)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    workbook = exports.district_xlsx(sheet)
    export_seconds = time.perf_counter() - started
    print(
        f"indicator sheet: {len(sheet.sheets)} circles in {seconds:.3f} s "
        f"(done {sheet.done}, close {sheet.close}, gap {sheet.gap}); "
        f"XLSX export {export_seconds:.2f} s, {len(workbook) / 1e6:.1f} MB"
    )

    started = time.perf_counter()
    reports = {
        c.pk: build_gap_report(community=c)
        for c in Community.objects.filter(street_office__district=district).order_by(
            "id"
        )
    }
    baseline = time.perf_counter() - started
    print(f"baseline, build_gap_report per circle: {baseline:.3f} s")
    check(sheet, reports)
    print(f"figures agree for all {len(reports)} circles")
    print(
        f"ENGINE sheet={seconds:.3f} export={export_seconds:.3f} "
        f"baseline={baseline:.3f} ratio={baseline / seconds:.1f} "
        f"survey={survey_seconds:.3f}"
    )


def check(sheet, reports) -> None:
    assert len(sheet.sheets) == len(reports)
    for s in sheet.sheets:
        r = reports[s.community.pk]
        got = (
            s.households,
            s.outlets_total,
            s.chain_outlets,
            s.households_all_basic,
            [(g.households_met, g.met) for g in s.groupings],
            sorted(
                (t.business_type.pk, t.outlets, t.households_covered) for t in s.types
            ),
        )
        want = (
            r.households_total,
            r.merchants_total,
            r.chain_count,
            r.households_all_basic,
            [(g.households_met, g.met) for g in r.groupings],
            sorted(
                (t.business_type.pk, t.count, t.households_covered)
                for t in r.type_counts
            ),
        )
        if got != want:
            raise SystemExit(f"{s.community.name}: sheet {got} != gap report {want}")


def describe(district) -> str:
    from django.db.models import Sum

    from quarter.coverage.models import ReachArray
    from quarter.places.models import Compound, Merchant

    compounds = Compound.objects.filter(community__street_office__district=district)
    totals = compounds.aggregate(h=Sum("households"), p=Sum("population"))
    return (
        f"{compounds.count():,} compounds, {totals['h']:,} households, "
        f"{totals['p']:,} residents, {Merchant.objects.count():,} outlets, "
        f"{ReachArray.objects.count():,} reach arrays (one per circle and type)"
    )


def build_district(n_circles: int, rng):
    """Write the synthetic district with bulk inserts; return it."""
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from quarter.coverage import engine as eng
    from quarter.coverage import reach_store
    from quarter.coverage.models import CoverageRun
    from quarter.places.models import (
        Admission,
        BusinessType,
        Community,
        Compound,
        District,
        Merchant,
        MerchantStatus,
        StreetOffice,
    )

    ensure_catalogue()
    types = list(BusinessType.objects.order_by("id"))
    weights = np.array([TYPE_WEIGHTS.get(t.code, 1) for t in types], dtype=float)
    weights /= weights.sum()
    cap = eng.cap_m()
    must_have = [
        i
        for i, t in enumerate(types)
        if t.tier == "basic" or t.code in ("elderly_care", "childcare")
    ]
    well_served = 0.6
    m_per_deg = 111_195.0
    with transaction.atomic():
        district = District.objects.create(city="合成市", name="基准区")
        streets = StreetOffice.objects.bulk_create(
            StreetOffice(district=district, name=f"第{i + 1}街道") for i in range(10)
        )
        side = int(np.ceil(np.sqrt(n_circles)))
        communities = Community.objects.bulk_create(
            Community(
                name=f"社区{i + 1:04d}",
                slug=f"bench-{i + 1}",
                street_office=streets[i % len(streets)],
                area_km2=1,
                center_lat=30 + (i // side) * 0.02,
                center_lng=120 + (i % side) * 0.02,
            )
            for i in range(n_circles)
        )
        now = timezone.now()
        compounds, merchants = [], []
        for c in communities:
            n = int(rng.integers(10, 31))
            households = rng.multinomial(800 - 10 * n, np.ones(n) / n) + 10
            offsets = rng.normal(0, 300, size=(n, 2)) / m_per_deg
            for j in range(n):
                compounds.append(
                    Compound(
                        community=c,
                        name=f"{c.name}小区{j + 1}",
                        lat=c.center_lat + offsets[j, 0],
                        lng=c.center_lng + offsets[j, 1],
                        households=int(households[j]),
                        population=int(round(households[j] * 2.5)),
                    )
                )
            kinds = rng.choice(len(types), size=100, p=weights)
            spots = rng.normal(0, 450, size=(100, 2)) / m_per_deg
            if rng.random() < well_served:
                # A built-up circle: one of every type a circle must have,
                # near its centre, among its 100 outlets.
                kinds[: len(must_have)] = must_have
                spots[: len(must_have)] /= 3
            admission = rng.choice(
                [Admission.APPROVED, Admission.APPLIED, Admission.REJECTED],
                size=100,
                p=[0.9, 0.07, 0.03],
            )
            status = rng.choice(
                [MerchantStatus.OPEN, MerchantStatus.CLOSED], size=100, p=[0.95, 0.05]
            )
            chain = rng.random(100) < 0.33
            for k in range(100):
                merchants.append(
                    Merchant(
                        community=c,
                        name=f"{c.name}店{k + 1}",
                        main_type=types[kinds[k]],
                        address="合成路1号",
                        lat=c.center_lat + spots[k, 0],
                        lng=c.center_lng + spots[k, 1],
                        phone="0571-87654321",
                        contact_person="王先生",
                        is_chain=bool(chain[k]),
                        brand_name="连锁" if chain[k] else "",
                        admission=str(admission[k]),
                        status=str(status[k]),
                    )
                )
        Compound.objects.bulk_create(compounds, batch_size=2000)
        Merchant.objects.bulk_create(merchants, batch_size=2000)
        CoverageRun.objects.bulk_create(
            CoverageRun(community=c, fingerprint="bench", computed_at=now)
            for c in communities
        )
        type_pos = {t.id: i for i, t in enumerate(types)}
        by_community: dict[int, list] = {}
        for m in Merchant.objects.filter(
            community__in=communities,
            admission=Admission.APPROVED,
            status=MerchantStatus.OPEN,
        ).values_list("community_id", "main_type_id", "lat", "lng"):
            by_community.setdefault(m[0], []).append(m[1:])
        for c in communities:
            rows = list(
                Compound.objects.filter(community=c).values_list("id", "lat", "lng")
            )
            shops = np.array(
                [(type_pos[t], la, ln) for t, la, ln in by_community.get(c.pk, [])]
            ).reshape(-1, 3)
            comp = np.array([(la, ln) for _, la, ln in rows])
            dy = (comp[:, None, 0] - shops[None, :, 1]) * m_per_deg
            dx = (
                (comp[:, None, 1] - shops[None, :, 2])
                * m_per_deg
                * np.cos(np.radians(comp[:, None, 0]))
            )
            walk = np.hypot(dx, dy) * 1.3
            distances = {}
            for ti, t in enumerate(types):
                mask = shops[:, 0] == ti
                nearest = (
                    walk[:, mask].min(axis=1) if mask.any() else np.full(len(rows), cap)
                )
                distances[t.id] = np.where(nearest < cap, nearest, np.inf)
            reach_store.replace_reach(
                c, [cid for cid, _la, _ln in rows], distances, estimated=True
            )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return district


def ensure_catalogue() -> None:
    """The business types as migrated (or loaded from the catalogue if absent)."""
    from quarter.places.catalogue import load_catalogue
    from quarter.places.models import BusinessType

    if not BusinessType.objects.exists():
        load_catalogue(BusinessType)


if __name__ == "__main__":
    main()
