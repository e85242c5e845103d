#!/usr/bin/env python
"""Voucher rush benchmark: N packets, 10 × N residents, the production stack on loopback.

Starts its own PostgreSQL (or uses SQLite) and Redis (AOF, fsync before every
reply) on 127.0.0.1, migrates a scratch database, releases a round of N
packets, serves the app with granian (WSGI, 2 workers) through
`quarter.vouchers.rushgate`, and in the same run measures a Django hello-world
on the same server as the baseline. A load generator (2 processes, asyncio,
keep-alive connections, a bounded number of requests) plays the residents:
each holds a signed rush ticket from the countdown page and taps once at the
release second (retrying only on a connection error, as a phone would).

Prints claims/s, p50/p99 latency, sell-out time, oversold, doubled and lost
(acknowledged claims missing from the database after the persister drained and
reconcile ran), the projected time for Hangzhou's 1.5 million packets, and the
last line:

    RESULT claims_per_s=… hello_per_s=… ratio=… oversold=0 doubled=0 lost=0

Usage:
    .venv/bin/python bench/rush.py                   # N=2000, Redis engine, PostgreSQL
    .venv/bin/python bench/rush.py --n 20000         # the issue's size
    .venv/bin/python bench/rush.py --engine db --db postgres
    .venv/bin/python bench/rush.py --engine db --db sqlite
    .venv/bin/python bench/rush.py --chaos           # SIGKILL a worker and Redis mid-rush
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quarter.core.loopback import PostgresServer, RedisServer, free_port  # noqa: E402

VENV = ROOT / ".venv" / "bin"
HANGZHOU_PACKETS = 1_500_000


def log(msg: str) -> None:
    print(f"[rush] {msg}", flush=True)


# --- servers: quarter.core.loopback (PostgreSQL fsync on, Redis AOF) --------------


def children_of(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


# --- load generator ------------------------------------------------------------------


async def _read_response(reader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body
    return status, await reader.readexactly(length) if length else b""


async def _connection(
    port: int, jobs: list, out: list, method: str, path_of, header_of
):
    reader = writer = None
    for job in jobs:
        for attempt in range(200):
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                head = f"{method} {path_of(job)} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header_of(job)}"
                t0 = time.perf_counter()
                writer.write((head + "Content-Length: 0\r\n\r\n").encode())
                status, body = await _read_response(reader)
                t1 = time.perf_counter()
                if status >= 500:  # the server (or Redis behind it) is restarting
                    out.append((job, t0, t1, status, body, attempt))
                    await asyncio.sleep(0.05)
                    continue
                out.append((job, t0, t1, status, body, attempt))
                break
            except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.05)
    if writer is not None:
        writer.close()


def _worker(port, jobs, conns, method, kind, start_at, conn_out):
    if kind == "hello":

        def path_of(job):
            return "/vouchers/hello"

        def header_of(job):
            return ""
    else:

        def path_of(job):
            return job[1]

        def header_of(job):
            return f"X-Rush-Ticket: {job[2]}\r\nX-Device-Id: bench-{job[0]}\r\n"

    async def main():
        while time.time() < start_at:
            await asyncio.sleep(min(0.01, start_at - time.time()))
        out: list = []
        chunks = [jobs[i::conns] for i in range(conns)]
        t0 = time.perf_counter()
        await asyncio.gather(
            *(
                _connection(port, c, out, method, path_of, header_of)
                for c in chunks
                if c
            )
        )
        return out, t0, time.perf_counter()

    result = asyncio.run(main())
    conn_out.send(result)
    conn_out.close()


def run_load(port, jobs, *, conns, method, kind, procs=2, start_at=None):
    """Spread jobs over `procs` processes × `conns` connections; return results and wall time."""
    start_at = start_at or time.time()
    from django.db import connections

    connections.close_all()  # a forked child must not share (and close) our sockets
    pipes, workers = [], []
    ctx = mp.get_context("fork")
    for p in range(procs):
        parent, child = ctx.Pipe(duplex=False)
        w = ctx.Process(
            target=_worker,
            args=(
                port,
                jobs[p::procs],
                max(1, conns // procs),
                method,
                kind,
                start_at,
                child,
            ),
        )
        w.start()
        pipes.append(parent)
        workers.append(w)
    results = []
    for parent in pipes:
        out, t0, t1 = parent.recv()
        results.extend(out)
    for w in workers:
        w.join()
    times = [r[1] for r in results] + [r[2] for r in results]
    wall = max(times) - min(times) if times else 0.0
    return results, wall


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# --- scenario --------------------------------------------------------------------------


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build_world(n: int, factor: int):
    """Create the issuer, the shop and 10 × N verified residents (bulk, no password hashing)."""
    import datetime as dt

    from quarter.core import clock
    from quarter.people.models import Household, Issuer, Resident, User
    from quarter.places.models import Community, Compound, District, StreetOffice
    from quarter.vouchers.services import campaigns

    district = District.objects.create(city="杭州市", name="上城区")
    street = StreetOffice.objects.create(name="湖滨街道", district=district)
    community = Community.objects.create(
        name="东河社区",
        slug="bench",
        street_office=street,
        area_km2="1.0",
        center_lat=30.26,
        center_lng=120.17,
    )
    compound = Compound.objects.create(
        community=community,
        name="东河小区",
        lat=30.26,
        lng=120.17,
        households=factor * n,
        population=factor * n,
    )
    issuer_user = User.objects.create_user(username="issuer", password=None)
    issuer = Issuer.objects.create(
        user=issuer_user, organisation="杭州市商务局", district=district
    )
    household = Household.objects.create(compound=compound, address="1幢")
    residents = factor * n
    t0 = time.time()
    batch = 10_000
    for start in range(0, residents, batch):
        stop = min(start + batch, residents)
        users = User.objects.bulk_create(
            User(username=f"r{i}", password="!") for i in range(start, stop)
        )
        Resident.objects.bulk_create(
            Resident(
                user=u,
                phone=f"1{i:010d}",
                household=household,
                real_name=f"居民{i}",
                id_hash=f"bench-person-{i:08d}",
                verified_at=clock.now(),
            )
            for i, u in zip(range(start, stop), users, strict=True)
        )
    log(f"created {residents} verified residents in {time.time() - t0:.1f}s")
    campaign = campaigns.create_campaign(
        actor=issuer_user,
        issuer=issuer,
        name="杭州消费券(压测)",
        budget_fen=n * 5000 * 2,
    )
    release = clock.now() + dt.timedelta(hours=1)
    round_ = campaigns.create_round(
        actor=issuer_user,
        campaign=campaign,
        name="第五轮",
        release_at=release,
        claim_closes_at=release + dt.timedelta(days=1),
        valid_from=release,
        valid_until=release + dt.timedelta(days=7),
        packets_total=n,
        coupons=campaigns.coupons_from_preset("hz2020_p1"),
    )
    return round_


def tickets_for(round_) -> list[tuple[int, str, str]]:
    from quarter.people.models import Resident
    from quarter.vouchers import codes

    expires = int(round_.claim_closes_at.timestamp())
    path = f"/vouchers/rush/{round_.pk}/claim"
    return [
        (
            rid,
            path,
            codes.sign_ticket(
                round_id=round_.pk,
                campaign_id=round_.campaign_id,
                user_id=uid,
                resident_id=rid,
                person_hash=ph,
                expires=expires,
            ),
        )
        for rid, uid, ph in Resident.objects.order_by("pk").values_list(
            "pk", "user_id", "id_hash"
        )
    ]


def release_now(round_, seconds: float):
    """Move the round's release to `seconds` from now (the bench's shortcut) and reload stock."""
    import datetime as dt

    from quarter.core import clock
    from quarter.vouchers.engines import get_engine
    from quarter.vouchers.models import Round

    at = clock.now() + dt.timedelta(seconds=seconds)
    Round.objects.filter(pk=round_.pk).update(release_at=at, valid_from=at)
    round_.refresh_from_db()
    get_engine().prepare(round_)
    return round_


def start_granian(port: int, env: dict, base: Path, threads: int = 32):
    logf = open(base / "granian.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            str(VENV / "granian"),
            "--interface",
            "wsgi",
            "quarter.vouchers.rushgate:application",
            "--workers",
            "2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--respawn-failed-workers",
            "--respawn-interval",
            "0.2",
            "--backlog",
            "2048",
            # One database connection per blocking thread: 2 × 32 stays inside
            # PostgreSQL's max_connections and still serves all 64 client connections.
            "--blocking-threads",
            str(threads),
        ],
        cwd=ROOT,
        env=env,
        stdout=logf,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    # Warm both workers (imports, connections) before measuring.
    for _ in range(20):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(
                    b"GET /vouchers/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                s.recv(1000)
        except OSError:
            time.sleep(0.1)
    return proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--n", type=int, default=20000, help="packets (residents: --factor × n)"
    )
    ap.add_argument("--factor", type=int, default=10, help="residents per packet")
    ap.add_argument("--engine", choices=["redis", "db"], default="redis")
    ap.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument(
        "--threads",
        type=int,
        default=32,
        help="granian blocking threads per worker (one database connection each)",
    )
    ap.add_argument(
        "--hello", type=int, default=0, help="hello requests (default 10 × N)"
    )
    ap.add_argument(
        "--fsync",
        choices=["always", "everysec"],
        default="always",
        help="Redis appendfsync (only 'always' keeps every acknowledged claim)",
    )
    ap.add_argument(
        "--chaos",
        action="store_true",
        help="SIGKILL one app worker and Redis mid-rush, restart them",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="quarter-rush-"))
    pg = redis_srv = granian = persister = None
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "quarter.settings",
            "SECRET_KEY": "rush-bench-secret-key-0123456789abcdef0123456789",
            "QUARTER_ID_HASH_KEY": "rush-bench-id-hash-key-0123456789abcdef012345",
            "QUARTER_VAR_DIR": str(base / "var"),
            "QUARTER_CLAIM_ENGINE": args.engine,
            # All load comes from one loopback address: the per-IP limit would stop
            # the bench, not a fraud ring. The per-account limit stays on.
            "QUARTER_CLAIM_IP_LIMIT": "1000000000",
            "LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        if args.db == "postgres":
            pg = PostgresServer(base / "pg", durable=True, max_connections=300)
            env["DATABASE_URL"] = pg.start()
            log(f"PostgreSQL on 127.0.0.1:{pg.port}")
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(base / "rush.sqlite3")
        if args.engine == "redis":
            redis_srv = RedisServer(fsync=args.fsync, directory=base / "redis")
            env["REDIS_URL"] = redis_srv.start().url
            if args.fsync != "always":
                env["QUARTER_RUSH_DURABILITY"] = "relaxed"
            log(
                f"Redis on 127.0.0.1:{redis_srv.port} appendonly yes appendfsync {args.fsync}"
            )
        subprocess.run(
            [str(VENV / "python"), "manage.py", "migrate", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        setup_django(env)
        round_ = build_world(args.n, args.factor)
        jobs = tickets_for(round_)
        port = free_port()
        granian = start_granian(port, env, base, args.threads)
        log(
            f"granian (WSGI, 2 workers) on 127.0.0.1:{port}, engine={args.engine}, db={args.db}"
        )
        if args.engine == "redis":
            persister = subprocess.Popen(
                [str(VENV / "python"), "manage.py", "persist_claims", "--loop"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        hello_n = args.hello or args.factor * args.n
        hello, hello_wall = run_load(
            port, list(range(hello_n)), conns=args.conns, method="GET", kind="hello"
        )
        hello_ok = sum(1 for r in hello if r[3] == 200)
        hello_per_s = hello_ok / hello_wall if hello_wall else 0.0
        hello_lat = [(r[2] - r[1]) * 1000 for r in hello]
        log(
            f"hello: {hello_ok}/{hello_n} ok in {hello_wall:.2f}s = {hello_per_s:,.0f} req/s, "
            f"p50 {pct(hello_lat, 0.5):.1f} ms, p99 {pct(hello_lat, 0.99):.1f} ms"
        )

        round_ = release_now(round_, 2.0)
        start_at = round_.release_at.timestamp()
        chaos_thread = None
        if args.chaos:
            import threading

            def chaos():
                time.sleep(max(0.0, start_at - time.time()) + 0.25)
                kids = children_of(granian.pid)
                if kids:
                    os.kill(kids[0], signal.SIGKILL)
                    log(f"chaos: SIGKILL app worker {kids[0]}")
                if redis_srv is not None:
                    time.sleep(0.1)
                    redis_srv.kill()
                    log("chaos: SIGKILL redis-server")
                    time.sleep(0.5)
                    redis_srv.start()
                    log("chaos: redis-server restarted from its AOF")

            chaos_thread = threading.Thread(target=chaos)
            chaos_thread.start()
        results, wall = run_load(
            port, jobs, conns=args.conns, method="POST", kind="claim", start_at=start_at
        )
        if chaos_thread:
            chaos_thread.join()
        return report(args, round_, results, wall, hello_per_s, redis_srv)
    finally:
        for proc in (persister, granian):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if redis_srv is not None:
            redis_srv.stop()
        if pg is not None:
            from django.db import connections

            connections.close_all()
            pg.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def report(args, round_, results, wall, hello_per_s, redis_srv) -> int:
    import json

    from django.db.models import Count

    from quarter.vouchers.engines import get_engine
    from quarter.vouchers.models import Claim, Round

    final = {}
    for job, t0, t1, status, body, _attempt in results:
        if status < 500:
            final[job[0]] = (status, body, t1 - t0)
    lat = [(r[2] - r[1]) * 1000 for r in results if r[3] < 500]
    acked: dict[int, str] = {}
    codes: dict[str, int] = {}
    for rid, (_status, body, _dt) in final.items():
        try:
            data = json.loads(body)
        except ValueError:
            codes["bad_body"] = codes.get("bad_body", 0) + 1
            continue
        code = str(data.get("code") or ("ok" if data.get("ok") else "?"))
        codes[code] = codes.get(code, 0) + 1
        if data.get("ok") and code == "ok":
            acked[rid] = data.get("id") or ""
    claims_per_s = len(results) / wall if wall else 0.0
    errors_5xx = sum(1 for r in results if r[3] >= 500)

    # Let the persister drain, then reconcile engine and database.
    engine = get_engine()
    deadline = time.time() + 120
    if args.engine == "redis":
        from quarter.vouchers.engines.redis_engine import keys

        stream = keys(round_.campaign_id, round_.pk)["claims"]
        while time.time() < deadline:
            if Claim.objects.filter(round=round_).count() >= engine.client.xlen(stream):
                break
            time.sleep(0.2)
    round_ = Round.objects.get(pk=round_.pk)
    rec = engine.reconcile(round_)
    db_claims = dict(
        Claim.objects.filter(round=round_).values_list("resident_id", "source_id")
    )
    total = len(db_claims)
    oversold = max(0, total - round_.packets_total) + max(
        0, len(acked) - round_.packets_total
    )
    doubled = (
        Claim.objects.filter(round=round_)
        .values("person_hash")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if args.engine == "redis":
        lost = sum(1 for rid, sid in acked.items() if db_claims.get(rid) != sid)
    else:
        lost = sum(1 for rid in acked if rid not in db_claims)
    sold = round_.sold_out_at
    if args.engine == "redis" and not sold:
        from quarter.vouchers.engines.redis_engine import from_ms

        raw = engine.client.hget(
            keys(round_.campaign_id, round_.pk)["meta"], "sold_out_ms"
        )
        sold = from_ms(int(raw)) if raw else None
    sellout_s = (sold - round_.release_at).total_seconds() if sold else None
    rate = (round_.packets_total / sellout_s) if sellout_s else None

    log(
        f"claims: {len(results)} requests from {len(jobs_of(results))} residents in {wall:.2f}s "
        f"= {claims_per_s:,.0f} req/s; answers {codes}; 5xx during chaos {errors_5xx}"
    )
    log(f"latency p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms")
    log(
        f"acknowledged claims {len(acked)}, in database {total}, packets {round_.packets_total}, "
        f"reconcile {'agrees' if rec.agrees else rec.problems}"
    )
    if sellout_s is not None:
        log(f"sold out {sellout_s:.2f}s after release ({rate:,.0f} packets/s)")
        log(
            f"projected Hangzhou 1.5 million packets: {HANGZHOU_PACKETS / rate:,.0f}s at the "
            f"sell-out rate, {HANGZHOU_PACKETS / claims_per_s:,.0f}s at the request rate "
            f"(seed 002: 105 s)"
        )
    else:
        log("did not sell out")
    ratio = claims_per_s / hello_per_s if hello_per_s else 0.0
    print(
        f"RESULT claims_per_s={claims_per_s:.0f} hello_per_s={hello_per_s:.0f} "
        f"ratio={ratio:.2f} oversold={oversold} doubled={doubled} lost={lost}",
        flush=True,
    )
    return 0 if oversold == doubled == lost == 0 else 1


def jobs_of(results) -> set:
    return {r[0][0] for r in results}


if __name__ == "__main__":
    sys.exit(main())
