#!/usr/bin/env python
"""Claims persister benchmark: acknowledged Redis claims landed in PostgreSQL.

During a rush the residents' claims are answered from Redis; the persister
(`manage.py persist_claims`, i.e. `persist_pending`) copies them into claim,
voucher and ledger rows. How fast one persister does that decides how many a
city needs and how long the wallet shows the newest claims from Redis.

What runs, on loopback: PostgreSQL (fsync on) and Redis (`appendfsync
always`). N verified residents each take one packet in two rounds (two
campaigns) through the Redis engine, then again in two fresh rounds of the
same size. One persister in this process lands each pair of rounds, timed
from its first batch until every stream entry is a row:

- the baseline: the same code with the multi-row INSERT it uses on SQLite and
  for a few rows (`sql.copy_rows` below its COPY threshold);
- the figure: as shipped, COPY on PostgreSQL.

Same claims, same tables, one run; the figure goes second (its tables already
hold the baseline's rows). The rows are then counted with plain SQL: lost is
a stream entry without its claim, or a claim without its 5 vouchers.

Last line:

    RESULT claims_per_s=… insert_claims_per_s=… vs_insert=…x
    persister_ms_per_claim=… postgres_ms_per_claim=… lost=0

Usage (root: PostgreSQL's user needs it):
    .venv/bin/python bench/persist.py                 # N = 20,000 per pair
    .venv/bin/python bench/persist.py --claims 100000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rush  # noqa: E402

from quarter.core.loopback import PostgresServer, RedisServer  # noqa: E402


def log(msg: str) -> None:
    print(f"[persist] {msg}", flush=True)


def claim_all(rounds) -> int:
    """Every resident takes a packet in one of `rounds` (alternating), via Redis."""
    from quarter.core import clock
    from quarter.people.models import Resident
    from quarter.vouchers import codes
    from quarter.vouchers.engines import get_engine
    from quarter.vouchers.engines.base import ClaimRequest

    engine = get_engine()
    ok = 0
    residents = Resident.objects.order_by("id").values_list("id", "user_id", "id_hash")
    for i, (resident_id, user_id, id_hash) in enumerate(residents):
        round_ = rounds[i % len(rounds)]
        request = ClaimRequest(
            round_id=round_.pk,
            campaign_id=round_.campaign_id,
            user_id=user_id,
            resident_id=resident_id,
            person_key=codes.person_key(
                campaign_id=round_.campaign_id, id_hash=id_hash
            ),
        )
        ok += engine.claim(request, now=clock.now()).ok
    return ok


def persist_all(client, rounds, claims: int, pg) -> dict:
    """Run the persister until every claim of `rounds` is a row; time it."""
    from quarter.vouchers.engines.redis_engine import persist_pending

    round_ids = [r.pk for r in rounds]
    pg0, cpu0, t0 = rush.postgres_cpu(pg), time.process_time(), time.perf_counter()
    written = 0
    while written < claims:
        step = persist_pending(client=client, round_ids=round_ids, count=2000)
        if not step:
            break  # nothing more to read: counted as lost below
        written += step
    wall = time.perf_counter() - t0
    return {
        "written": written,
        "seconds": wall,
        "cpu": time.process_time() - cpu0,
        "pg_cpu": rush.postgres_cpu(pg) - pg0,
    }


def count_lost(rounds, acknowledged: int) -> int:
    from django.db import connection

    ids = [r.pk for r in rounds]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM vouchers_claim WHERE round_id = ANY(%s)", [ids]
        )
        (claims,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM vouchers_claim c WHERE c.round_id = ANY(%s) AND "
            "(SELECT count(*) FROM vouchers_voucher v WHERE v.claim_id = c.id) <> 5",
            [ids],
        )
        (short,) = cursor.fetchone()
    return max(0, acknowledged - claims) + short


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=int, default=20_000, help="N per pair of rounds")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="quarter-persist-"))
    pg = PostgresServer(base / "pg", durable=True)
    redis_srv = RedisServer(fsync="always", directory=base / "redis")
    try:
        os.environ.update(
            **rush.bench_env(base, "persist"),
            # The claims are made in this process to fill Redis, not measured.
            QUARTER_CLAIM_IP_LIMIT="1000000000",
            DATABASE_URL=pg.start(),
            REDIS_URL=redis_srv.start().url,
        )
        subprocess.run(
            [rush.PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True
        )
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        from quarter.core import sql
        from quarter.vouchers.engines.redis_engine import client_for

        n = args.claims
        issuer_user, issuer = rush.build_residents(n)
        pairs = {
            "insert": rush.build_rounds(issuer_user, issuer, n, label="基线"),
            "copy": rush.build_rounds(issuer_user, issuer, n, label="实测"),
        }
        at = rush.release([r for rounds in pairs.values() for r in rounds], seconds=1)
        time.sleep(max(0.0, at - time.time()) + 0.05)
        acknowledged = {}
        for name, rounds in pairs.items():
            started = time.perf_counter()
            acknowledged[name] = claim_all(rounds)
            log(
                f"{name}: {acknowledged[name]:,} claims acknowledged by Redis in "
                f"{time.perf_counter() - started:.1f} s (filling, not measured)"
            )
        connection.cursor().execute("VACUUM ANALYZE")
        connection.cursor().execute("CHECKPOINT")
        client = client_for(settings.REDIS_URL)
        results = {}
        copy_from = sql.COPY_FROM_ROWS
        for name, rounds in pairs.items():
            sql.COPY_FROM_ROWS = copy_from if name == "copy" else 10**12
            m = persist_all(client, rounds, acknowledged[name], pg)
            m["lost"] = count_lost(rounds, acknowledged[name])
            results[name] = m
            log(
                f"{name}: {m['written']:,} claims ({5 * m['written']:,} vouchers) in "
                f"{m['seconds']:.2f} s = {m['written'] / m['seconds']:,.0f} claims/s; "
                f"persister CPU {m['cpu']:.2f} s, PostgreSQL CPU {m['pg_cpu']:.2f} s; "
                f"lost {m['lost']}"
            )
        sql.COPY_FROM_ROWS = copy_from
        new, old = results["copy"], results["insert"]
        rate, old_rate = (
            new["written"] / new["seconds"],
            old["written"] / old["seconds"],
        )
        print(
            f"RESULT claims_per_s={rate:.0f} insert_claims_per_s={old_rate:.0f} "
            f"vs_insert={rate / old_rate:.1f}x "
            f"persister_ms_per_claim={1000 * new['cpu'] / new['written']:.3f} "
            f"postgres_ms_per_claim={1000 * new['pg_cpu'] / new['written']:.3f} "
            f"lost={new['lost'] + old['lost']}",
            flush=True,
        )
        return 0 if new["lost"] + old["lost"] == 0 else 1
    finally:
        if "django" in sys.modules and os.environ.get("DJANGO_SETTINGS_MODULE"):
            from django.db import connections

            connections.close_all()
        redis_srv.stop()
        pg.stop()
        if args.keep:
            log(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
