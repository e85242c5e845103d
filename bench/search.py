"""Benchmark the merchant search API on 100,000 merchants (SQLite by default).

Builds a synthetic city of N merchants in a fresh database, then times the
search API (`/api/merchants`, full Django stack in process) over a mix of
realistic queries, and in the same run a naive baseline: `icontains` over
name, type, services and introduction, distances computed in Python.

    .venv/bin/python bench/search.py [--merchants 100000] [--rounds 3]

In the same run it times the resident's search page (`/search/`, everyday
words through jieba and the lexicon, ranking by relevance and walking time,
HTML rendered) over PAGE_QUERIES.

Last line: RESULT search_p95_ms=… page_p95_ms=… baseline_p95_ms=… ratio=…
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    {"q": "理发"},
    {"q": "药"},
    {"q": "早餐"},
    {"q": "便利店"},
    {"q": "洗衣"},
    {"q": "理发", "distance": 1500, "sort": "distance"},
    {"q": "药", "distance": 1000, "sort": "distance"},
    {"q": "早餐", "open_now": "true", "distance": 1500, "sort": "distance"},
    {"type": "pharmacy", "distance": 2000, "sort": "distance"},
    {"tier": "quality", "distance": 800, "sort": "distance"},
    {"q": "修鞋 配钥匙"},
    {"q": "蛋糕", "sort": "distance"},
]
# The resident's search page (everyday words, 15-minute area by default).
PAGE_QUERIES = [
    {"q": "剪头发"},
    {"q": "感冒药"},
    {"q": "寄快递"},
    {"q": "lifa"},
    {"q": "lf"},
    {"q": "理法"},
    {"q": "修手机"},
    {"q": "买菜", "open_now": "1"},
    {"q": "配钥匙", "scope": "all"},
    {"q": "理发", "scope": "all"},
    {"q": "修手表"},
    {"q": ""},
]


def setup_django(db_path: str) -> None:
    os.environ["SQLITE_PATH"] = db_path
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
    os.environ.setdefault("QUARTER_DEMO", "1")  # random keys in its scratch var/
    os.environ["QUARTER_VAR_DIR"] = str(Path(db_path).parent)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_city(n: int, rng: random.Random) -> tuple[float, float]:
    from django.db import transaction

    from quarter.demo import catalogue as cat
    from quarter.places.models import (
        Admission,
        BusinessType,
        Community,
        Merchant,
        MerchantService,
        OpeningHours,
    )
    from quarter.places.services import reindex_merchants
    from quarter.places.tests.factories import make_community

    center = (30.2741, 120.1551)  # Hangzhou
    community = make_community(name="基准城市", slug="bench")
    types = {t.code: t for t in BusinessType.objects.all()}
    codes = [c for c in cat.TYPE_SUFFIXES if c in types]
    started = time.perf_counter()
    batch = 5000
    with transaction.atomic():
        for start in range(0, n, batch):
            merchants = []
            for i in range(start, min(start + batch, n)):
                code = rng.choice(codes)
                name = rng.choice(cat.NAME_PREFIXES) + rng.choice(
                    cat.TYPE_SUFFIXES[code]
                )
                merchants.append(
                    Merchant(
                        community=community,
                        name=f"{name}{i}",
                        main_type=types[code],
                        introduction=f"{name},{types[code].name_zh},服务周边居民。",
                        address=(
                            f"{rng.choice(cat.STREETS_DONGHE)}{rng.randint(1, 999)}号"
                        ),
                        lat=center[0] + rng.uniform(-0.09, 0.09),
                        lng=center[1] + rng.uniform(-0.1, 0.1),
                        phone="0571-8888888",
                        contact_person="王先生",
                        admission=Admission.APPROVED,
                        card_discount_permille=rng.choice([None, 550, 800, 900]),
                    )
                )
            Merchant.objects.bulk_create(merchants, batch_size=1000)
            services, hours = [], []
            for m in merchants:
                code = m.main_type.code
                for j, (s, p) in enumerate(cat.TYPE_SERVICES[code][:3]):
                    services.append(
                        MerchantService(merchant=m, name=s, price_fen=p, sort_order=j)
                    )
                opens = rng.choice([360, 480, 540])
                hours.extend(
                    OpeningHours(
                        merchant=m, weekday=d, open_minute=opens, close_minute=1260
                    )
                    for d in range(7)
                )
            MerchantService.objects.bulk_create(services, batch_size=2000)
            OpeningHours.objects.bulk_create(hours, batch_size=5000)
    reindex_merchants(batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"built {n} merchants in {time.perf_counter() - started:.1f} s "
        f"({Community.objects.count()} community)",
        flush=True,
    )
    return center


def naive_search(params: dict, origin) -> int:
    """The baseline a first version would write: icontains scans and Python sorting."""
    from django.db.models import Q

    from quarter.core.geo import haversine_m
    from quarter.places.models import Merchant

    qs = Merchant.objects.filter(admission="approved").select_related("main_type")
    for word in params.get("q", "").split():
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(introduction__icontains=word)
            | Q(main_type__name_zh__icontains=word)
            | Q(services__name__icontains=word)
        ).distinct()
    if "type" in params:
        qs = qs.filter(main_type__code=params["type"])
    if "tier" in params:
        qs = qs.filter(main_type__tier=params["tier"])
    rows = [(haversine_m(origin[0], origin[1], m.lat, m.lng), m.id, m.name) for m in qs]
    if "distance" in params:
        rows = [r for r in rows if r[0] <= params["distance"]]
    rows.sort()
    return len(rows)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="quarter-bench-search-")
    setup_django(str(Path(workdir) / "bench.sqlite3"))
    from django.test import Client

    rng = random.Random(7)
    center = build_city(args.merchants, rng)
    client = Client()
    for params in QUERIES:  # warm caches for both sides alike; not measured
        client.get("/api/merchants", dict(params, lat=center[0], lng=center[1]))
        naive_search(params, center)
    for params in PAGE_QUERIES:
        client.get("/search/", dict(params, lat=center[0], lng=center[1]))
    fast, slow, page = [], [], []
    for _round in range(args.rounds):
        for params in QUERIES:
            origin = (
                center[0] + rng.uniform(-0.05, 0.05),
                center[1] + rng.uniform(-0.05, 0.05),
            )
            query = dict(params, lat=origin[0], lng=origin[1])
            t0 = time.perf_counter()
            response = client.get("/api/merchants", query)
            fast.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content
            t0 = time.perf_counter()
            naive_search(params, origin)
            slow.append((time.perf_counter() - t0) * 1000)
        for params in PAGE_QUERIES:
            origin = (
                center[0] + rng.uniform(-0.05, 0.05),
                center[1] + rng.uniform(-0.05, 0.05),
            )
            t0 = time.perf_counter()
            query = dict(params, lat=origin[0], lng=origin[1])
            response = client.get("/search/", query)
            page.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.content
    p50, p95 = statistics.median(fast), percentile(fast, 95)
    b50, b95 = statistics.median(slow), percentile(slow, 95)
    print(f"search API   p50={p50:.1f} ms  p95={p95:.1f} ms  ({len(fast)} requests)")
    s50, s95 = statistics.median(page), percentile(page, 95)
    print(f"search page  p50={s50:.1f} ms  p95={s95:.1f} ms  ({len(page)} requests)")
    print(f"naive scan   p50={b50:.1f} ms  p95={b95:.1f} ms")
    print(
        f"RESULT search_p95_ms={p95:.1f} page_p95_ms={s95:.1f} "
        f"baseline_p95_ms={b95:.1f} ratio={b95 / p95:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
