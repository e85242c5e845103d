#!/usr/bin/env python
"""Voucher rush benchmark: the page's own claim request, production server, wrk.

What runs (all on loopback, in a private network namespace of this process):

- PostgreSQL (fsync on) and Redis (`appendonly yes`, `appendfsync always`), or
  with `--cluster` a 3-master Redis Cluster with the same fsync;
- `quarter serve --front --host 0.0.0.0 --port P`, the production command of
  the README (nginx answering the claims, granian behind it), with production
  limits (per-account and per-IP claim limits on), and one
  `manage.py persist_claims --loop` beside it; `--python-gate` serves without
  `--front`, so the Python gate answers the claims;
- Debian's `wrk` (compiled) with bench/rush.lua: W processes × T threads, each
  thread one keep-alive connection from its own source address 127.1.w.t
  (a route in the namespace makes each address its own source), so the per-IP
  limit sees W × T networks, not one. Each resident holds a ticket issued as
  the countdown page issues it and sends what the page's button sends:
  ``POST /vouchers/rush/<round>/claim`` with X-Rush-Ticket, X-CSRFToken (and
  its cookie) and X-Device-Id.

In one run, after VACUUM ANALYZE and a CHECKPOINT of the freshly filled
database, it measures (a) a Django hello (`/vouchers/hello`, full middleware)
on that server, (b) a bare WSGI hello under the same granian settings (each
the best of two runs), and (c)
the rush: N packets in two rounds (two campaigns) released at the same second,
4 × N residents, 5 % of them tapping twice. Then the persister drains and the
rows are counted in PostgreSQL with plain SQL, independently of the app.

The sell-out rate counts packets sold only: rows in the database divided by
the time from the first acknowledged claim to the last (their claim times).
oversold: rows or acknowledgements beyond a round's packets; doubled: a person
or resident with two packets in a round; lost: an acknowledged claim id that
is not in the database. `--chaos` SIGKILLs an app worker, an nginx worker and
Redis (restarted from its AOF) again and again during the rush, then runs
`reconcile_claims` as the README tells operators to after a crash.

Last line:

    RESULT sellout_packets_per_s=… sellout_s=… django_hello_per_s=…
    bare_hello_per_s=… ratio_django=… ratio_bare=… oversold=0 doubled=0 lost=0

Usage (root: the network namespace and PostgreSQL's user need it):
    .venv/bin/python bench/rush.py --packets 2000        # develop with small N
    .venv/bin/python bench/rush.py                       # N = 100,000
    .venv/bin/python bench/rush.py --chaos
    .venv/bin/python bench/rush.py --cluster             # 3-master Redis Cluster
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quarter.core.loopback import (  # noqa: E402
    PostgresServer,
    RedisClusterServer,
    RedisServer,
    free_port,
    pg_binary,
)
from quarter.core.processes import child_pids, serve_processes  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
HANGZHOU_PACKETS = 1_500_000
HANGZHOU_SECONDS = 105
RUNNING_WRK: list[subprocess.Popen] = []  # stopped on the way out, whatever happens


def log(msg: str) -> None:
    print(f"[rush] {msg}", flush=True)


# --- prerequisites and the network namespace -------------------------------------


def missing_tools() -> list[str]:
    needs = {
        "wrk (apt-get install wrk)": shutil.which("wrk"),
        "redis-server (apt-get install redis-server)": shutil.which("redis-server"),
        "redis-cli (apt-get install redis-tools)": shutil.which("redis-cli"),
        "PostgreSQL (apt-get install postgresql)": pg_binary("initdb"),
        "unshare (util-linux)": shutil.which("unshare"),
        "ip (apt-get install iproute2)": shutil.which("ip"),
    }
    missing = [name for name, found in needs.items() if not found]
    from quarter.vouchers import front

    missing += [f"{gap} (apt-get install {gap})" for gap in front.missing()]
    if os.geteuid() != 0:
        missing.append("root (a private network namespace and PostgreSQL's user)")
    return missing


def source_addresses(procs: int, threads: int) -> list[list[str]]:
    return [[f"127.1.{p}.{t + 1}" for t in range(threads)] for p in range(procs)]


def setup_namespace(addresses: list[list[str]]) -> None:
    """Bring up lo and make every 127.1.w.t its own source address.

    Linux picks the source address of a connection from the route to its
    destination; in this private namespace each address gets a local route
    whose preferred source is itself, so a wrk thread that connects to
    127.1.w.t arrives from 127.1.w.t. Nothing outside the namespace changes.
    """
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    batch = "".join(
        f"route add local {a} dev lo src {a} table local\n"
        for row in addresses
        for a in row
    )
    subprocess.run(["ip", "-batch", "-"], input=batch, text=True, check=True)


# --- the world ---------------------------------------------------------------------


def build_world(packets: int, residents: int):
    """Two campaigns with one round each (packets split), and `residents` residents."""
    issuer_user, issuer = build_residents(residents)
    return build_rounds(issuer_user, issuer, packets)


def build_residents(residents: int):
    """A community with `residents` verified residents; return (issuer user, Issuer)."""
    from quarter.core import clock
    from quarter.people.models import Household, Issuer, RegisterEntry, Resident, User
    from quarter.places.models import Community, Compound, District, StreetOffice

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
        households=residents,
        population=residents,
    )
    issuer_user = User.objects.create_user(username="issuer", password=None)
    issuer = Issuer.objects.create(
        user=issuer_user, organisation="杭州市商务局", district=district
    )
    household = Household.objects.create(compound=compound, address="1幢")
    t0 = time.time()
    batch = 10_000
    for start in range(0, residents, batch):
        stop = min(start + batch, residents)
        users = User.objects.bulk_create(
            User(username=f"r{i}", password="!") for i in range(start, stop)
        )
        # Every resident is on the community's register, as real-name
        # verification requires (claims check it through the ticket's issuer).
        entries = RegisterEntry.objects.bulk_create(
            RegisterEntry(
                community=community,
                compound=compound,
                address="1幢",
                name=f"居民{i}",
                id_hash=f"bench-person-{i:08d}",
                id_masked="3301************00",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            for i in range(start, stop)
        )
        Resident.objects.bulk_create(
            Resident(
                user=u,
                phone=f"1{i:010d}",
                household=household,
                real_name=f"居民{i}",
                id_hash=f"bench-person-{i:08d}",
                verified_at=clock.now(),
                register_entry=entry,
            )
            for i, u, entry in zip(range(start, stop), users, entries, strict=True)
        )
    log(f"created {residents:,} verified residents in {time.time() - t0:.0f} s")
    return issuer_user, issuer


def build_rounds(issuer_user, issuer, packets: int, *, label: str = "压测"):
    """Two campaigns with one round each, `packets` split between them."""
    import datetime as dt

    from quarter.core import clock
    from quarter.vouchers.services import campaigns

    release = clock.now() + dt.timedelta(hours=1)
    rounds = []
    for k, share in enumerate((packets // 2, packets - packets // 2)):
        campaign = campaigns.create_campaign(
            actor=issuer_user,
            issuer=issuer,
            name=f"杭州消费券({label}{k + 1})",
            budget_fen=share * 5000 * 2,
        )
        rounds.append(
            campaigns.create_round(
                actor=issuer_user,
                campaign=campaign,
                name="第五轮",
                release_at=release,
                claim_closes_at=release + dt.timedelta(days=1),
                valid_from=release,
                valid_until=release + dt.timedelta(days=7),
                packets_total=share,
                coupons=campaigns.coupons_from_preset("hz2020_p1"),
            )
        )
    return rounds


def tickets_for(rounds) -> list[tuple[int, int, str]]:
    """Return (round id, resident id, ticket): residents split between the rounds.

    Each ticket is what `services.claims.issue_rush_ticket` gives the countdown
    page. Calling it 400,000 times would take the bench longer than the rush
    (it checks eligibility with several queries each), so a sample goes through
    it and must equal the tickets signed here for the rest.
    """
    from quarter.people.models import Resident
    from quarter.vouchers import codes
    from quarter.vouchers.services.claims import issue_rush_ticket

    rows = list(Resident.objects.order_by("pk").values_list("pk", "user_id", "id_hash"))
    out = []
    for i, (rid, uid, person) in enumerate(rows):
        round_ = rounds[i % len(rounds)]
        ticket = codes.sign_ticket(
            round_id=round_.pk,
            campaign_id=round_.campaign_id,
            user_id=uid,
            resident_id=rid,
            person_hash=person,
            expires=int(round_.claim_closes_at.timestamp()),
        )
        out.append((round_.pk, rid, ticket))
    sample = Resident.objects.select_related("user").order_by("pk")[:100]
    for i, resident in enumerate(sample):
        issued = issue_rush_ticket(actor=resident.user, round_=rounds[i % len(rounds)])
        if issued != out[i][2]:
            raise SystemExit(
                "bench tickets differ from services.claims.issue_rush_ticket: "
                "update tickets_for() to sign what the page gets"
            )
    return out


def plan_taps(tickets, *, repeat: float, seed: int = 7):
    """Order the taps: everyone once, at random; `repeat` of them again soon after."""
    rng = random.Random(seed)
    keyed = [(rng.random(), t) for t in tickets]
    keyed.sort(key=lambda kt: kt[0])
    n = len(keyed)
    again = rng.sample(range(n), int(n * repeat))
    # A repeated tap comes a moment after the first (within ~1 % of the rush).
    keyed += [(keyed[i][0] + rng.random() * 0.01, keyed[i][1]) for i in again]
    keyed.sort(key=lambda kt: kt[0])
    return [t for _k, t in keyed]


def write_plan(directory: Path, taps, addresses: list[list[str]], rounds) -> None:
    """One ticket file per wrk thread; a thread plays the residents of one round."""
    directory.mkdir(parents=True, exist_ok=True)
    slots = [(p, t) for p in range(len(addresses)) for t in range(len(addresses[p]))]
    by_round = {
        r.pk: [s for i, s in enumerate(slots) if i % len(rounds) == k]
        for k, r in enumerate(rounds)
    }
    files = {s: [] for s in slots}
    turn = {r.pk: 0 for r in rounds}
    for round_id, rid, ticket in taps:
        mine = by_round[round_id]
        files[mine[turn[round_id] % len(mine)]].append(f"{round_id} {ticket} d{rid}\n")
        turn[round_id] += 1
    for (p, t), lines in files.items():
        (directory / f"t-{p}-{t}.txt").write_text("".join(lines))
    for p, row in enumerate(addresses):
        (directory / f"addr-{p}.txt").write_text("".join(f"{a}\n" for a in row))


# --- servers -------------------------------------------------------------------------


def box_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every core, /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def postgres_cpu(pg) -> float:
    """CPU seconds of the PostgreSQL cluster: the postmaster, the backends it
    has reaped (its children's times) and the ones still running."""
    try:
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1]
    except (OSError, ValueError, IndexError):
        return 0.0
    values = fields.split()
    reaped = sum(int(v) for v in values[11:15]) / os.sysconf("SC_CLK_TCK")
    return reaped + cpu_seconds(child_pids(postmaster))


def cpu_seconds(pids) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_http(port: int, path: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Connection: close\r\n\r\n".encode()
                )
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered {path} on port {port}")


def serve_command(port: int, *, front: bool = True) -> list[str]:
    """The production command of README.md, on this bench's port."""
    command = [PY, "-m", "quarter.cli", "serve", "--host", "0.0.0.0"]
    command += ["--port", str(port), *(["--front"] if front else [])]
    return command


def start(command, env, logfile: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=logfile.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- load ----------------------------------------------------------------------


def run_wrk(
    port: int,
    directory: Path,
    procs: int,
    threads: int,
    *,
    mode: str,
    seconds: float,
    path: str = "/",
):
    """Start `procs` wrk processes; a claim run stops when every thread is done."""
    lua = ROOT / "bench" / "rush.lua"
    running = RUNNING_WRK
    for p in range(procs):
        env = dict(
            os.environ,
            RUSH_DIR=str(directory),
            RUSH_PROC=str(p),
            RUSH_MODE=mode,
            RUSH_PATH=path,
        )
        running.append(
            subprocess.Popen(
                [
                    "wrk",
                    "-t",
                    str(threads),
                    "-c",
                    str(threads),
                    "-d",
                    f"{int(seconds)}s",
                    "--timeout",
                    "30s",
                    "-s",
                    str(lua),
                    f"http://127.0.0.1:{port}{path}",
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    if mode == "claim":
        deadline = time.monotonic() + seconds
        want = procs * threads
        while time.monotonic() < deadline:
            if len(list(directory.glob("done-*"))) >= want:
                break
            if all(w.poll() is not None for w in running):
                break
            time.sleep(0.05)
        for w in running:
            if w.poll() is None:
                w.send_signal(signal.SIGINT)  # wrk prints its summary and runs done()
    outputs = [w.communicate()[0] for w in running]
    running.clear()
    return outputs


def requests_per_s(outputs: list[str]) -> float:
    total = 0.0
    for out in outputs:
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                total += float(line.split()[1])
    return total


def hello(port: int, directory: Path, args, path: str) -> float:
    """Requests/s of GET `path` from the same wrk threads and source addresses."""
    outputs = run_wrk(
        port,
        directory,
        args.procs,
        args.threads,
        mode="hello",
        seconds=args.hello_seconds,
        path=path,
    )
    return requests_per_s(outputs)


# --- the run -------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=100_000, help="N (both rounds)")
    ap.add_argument("--oversubscribe", type=int, default=4, help="residents per packet")
    ap.add_argument("--repeat", type=float, default=0.05, help="share tapping twice")
    ap.add_argument("--procs", type=int, default=4, help="wrk processes")
    ap.add_argument(
        "--threads",
        type=int,
        default=128,
        help="threads (= connections = source addresses) per wrk process",
    )
    ap.add_argument("--hello-seconds", type=float, default=8)
    ap.add_argument("--cluster", action="store_true", help="3-master Redis Cluster")
    ap.add_argument("--chaos", action="store_true", help="kill workers and Redis")
    ap.add_argument(
        "--python-gate",
        action="store_true",
        help="serve without --front: the Python gate answers the claims",
    )
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.in_netns:
        missing = missing_tools()
        if missing:
            log("missing: " + "; ".join(missing))
            return 2
        # Re-run in a private network namespace (its own loopback; see setup_namespace).
        command = ["unshare", "--net", "--", PY, __file__, *sys.argv[1:], "--in-netns"]
        return subprocess.call(command)
    if args.threads > 254:
        raise SystemExit("--threads at most 254 (one 127.1.w.0/24 per wrk process)")
    addresses = source_addresses(args.procs, args.threads)
    setup_namespace(addresses)
    base = Path(tempfile.mkdtemp(prefix="quarter-rush-"))
    os.chmod(base, 0o755)
    try:
        return run(args, base, addresses)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"kept {base}")


def bench_env(base: Path, name: str) -> dict[str, str]:
    """A bench's app settings: its own keys (the dev key is refused), a scratch
    var directory, errors only in the logs."""
    return {
        "DJANGO_SETTINGS_MODULE": "quarter.settings",
        "SECRET_KEY": f"{name}-bench-secret-key-0123456789abcdef0123456789",
        "QUARTER_ID_HASH_KEY": f"{name}-bench-id-hash-key-0123456789abcdef012345",
        "QUARTER_INSECURE_DEV_KEY": "false",
        "QUARTER_VAR_DIR": str(base / "var"),
        "LOG_LEVEL": "ERROR",
    }


def run(args, base: Path, addresses) -> int:
    pg = PostgresServer(base / "pg", durable=True, max_connections=400)
    if args.cluster:
        redis_srv = RedisClusterServer(fsync="always", directory=base / "redis")
    else:
        redis_srv = RedisServer(fsync="always", directory=base / "redis")
    server = persister = bare = None
    try:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("QUARTER_CLAIM_", "QUARTER_RUSH_"))
        }
        env.update(
            **bench_env(base, "rush"),
            PYTHONPATH=str(ROOT),
            DATABASE_URL=pg.start(),
            REDIS_URL=redis_srv.start().url,
        )
        log(f"PostgreSQL (fsync on) on {env['DATABASE_URL']}")
        log(f"Redis appendonly yes appendfsync always: {env['REDIS_URL']}")
        subprocess.run(
            [PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run(
            [PY, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True
        )
        os.environ.update(env)
        import django

        django.setup()
        n = args.packets
        rounds = build_world(n, args.oversubscribe * n)
        taps = plan_taps(tickets_for(rounds), repeat=args.repeat)
        plan = base / "plan"
        write_plan(plan, taps, addresses, rounds)
        from django.db import connection, connections

        # Measure from a quiet database: without this, autovacuum and the
        # checkpointer work through the 80,000 new rows during whichever
        # measurement comes next (the Django hello swung 2,000-5,800 req/s).
        connection.cursor().execute("VACUUM ANALYZE")
        connection.cursor().execute("CHECKPOINT")
        connections.close_all()
        log(
            f"{len(taps):,} taps by {args.oversubscribe * n:,} residents for {n:,} "
            f"packets in rounds {[r.pk for r in rounds]}; wrk {args.procs} × "
            f"{args.threads} threads, one connection and source address each"
        )

        # (b) bare WSGI hello under the same granian settings.
        from quarter import cli

        port = free_port()
        bare = start(
            cli.granian_command("0.0.0.0", port, app="bench.hello_wsgi:application"),
            env,
            base / "bare.log",
        )
        wait_http(port, "/")
        run_wrk(port, plan, args.procs, args.threads, mode="hello", seconds=2)
        bares = [hello(port, plan, args, "/") for _ in range(2)]
        bare_per_s = max(bares)
        stop(bare)
        log(
            f"bare WSGI hello: {bare_per_s:,.0f} req/s (best of "
            f"{', '.join(f'{b:,.0f}' for b in bares)})"
        )

        # The production server and its persister.
        port = free_port()
        server = start(
            serve_command(port, front=not args.python_gate), env, base / "serve.log"
        )
        wait_http(port, "/vouchers/hello")
        persister = start(
            [PY, "manage.py", "persist_claims", "--loop"], env, base / "persist.log"
        )
        # (a) Django hello through the full middleware stack, same server (after
        # a warm-up: every thread of both workers has loaded what it needs).
        run_wrk(
            port,
            plan,
            args.procs,
            args.threads,
            mode="hello",
            seconds=3,
            path="/vouchers/hello",
        )
        # Best of two: the baseline is never the run that the box slowed down.
        hellos = [hello(port, plan, args, "/vouchers/hello") for _ in range(2)]
        django_per_s = max(hellos)
        log(
            f"Django hello: {django_per_s:,.0f} req/s (best of "
            f"{', '.join(f'{h:,.0f}' for h in hellos)})"
        )

        # (c) the rush.
        release_at = release(rounds, seconds=3.0)
        # App CPU: granian's workers, and nginx's when it answers the claims.
        workers = serve_processes(server.pid).answering
        cpu0 = cpu_seconds(workers), redis_cpu(redis_srv)
        side0 = cpu_seconds([persister.pid]), postgres_cpu(pg), box_busy_seconds()
        chaos = Chaos(server.pid, redis_srv, base / "serve.log") if args.chaos else None
        time.sleep(max(0.0, release_at - time.time()))
        t0 = time.time()
        if chaos:
            chaos.start()
        outputs = run_wrk(
            port, plan, args.procs, args.threads, mode="claim", seconds=900
        )
        wall = time.time() - t0
        if chaos:
            chaos.stop()
        cpu1 = cpu_seconds(workers), redis_cpu(redis_srv)
        side1 = cpu_seconds([persister.pid]), postgres_cpu(pg), box_busy_seconds()
        return report(
            args,
            env,
            rounds,
            plan,
            outputs,
            wall=wall,
            django_per_s=django_per_s,
            bare_per_s=bare_per_s,
            app_cpu=cpu1[0] - cpu0[0],
            redis_cpu_s=cpu1[1] - cpu0[1],
            persister_cpu=side1[0] - side0[0],
            postgres_cpu=side1[1] - side0[1],
            box_busy=side1[2] - side0[2],
            redis_srv=redis_srv,
            chaos=chaos,
            release_at=release_at,
        )
    finally:
        for proc in RUNNING_WRK:
            proc.kill()
            proc.wait()
        for proc in (persister, server, bare):
            stop(proc)
        redis_srv.stop()
        if "django" in sys.modules and os.environ.get("DJANGO_SETTINGS_MODULE"):
            from django.db import connections

            connections.close_all()
        pg.stop()


def release(rounds, *, seconds: float) -> float:
    """Release both rounds at the same second, `seconds` from now; load Redis."""
    import datetime as dt

    from quarter.core import clock
    from quarter.vouchers.engines import get_engine
    from quarter.vouchers.models import Round

    at = (clock.now() + dt.timedelta(seconds=seconds)).replace(microsecond=0)
    for round_ in rounds:
        Round.objects.filter(pk=round_.pk).update(release_at=at, valid_from=at)
        round_.refresh_from_db()
        get_engine().prepare(round_)
    from django.db import connections

    connections.close_all()
    return at.timestamp()


def redis_cpu(redis_srv) -> float:
    import redis

    ports = getattr(redis_srv, "ports", None) or [redis_srv.port]
    total = 0.0
    for port in ports:
        try:
            info = redis.Redis(port=port).info("cpu")
        except redis.RedisError:
            continue
        total += float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
    return total


class Chaos(threading.Thread):
    """SIGKILL an app worker and Redis mid-rush, `cycles` times, each after recovery.

    A cycle kills one granian worker, one nginx worker (with --front) and Redis
    together, brings Redis back from its append-only file 0.3 s later and waits
    until granian has respawned the worker (its log says "Started worker")
    before the next cycle. nginx's master respawns its worker at once.
    """

    def __init__(self, serve_pid: int, redis_srv, serve_log: Path, cycles=3) -> None:
        super().__init__(daemon=True)
        self.serve_pid = serve_pid
        self.redis_srv = redis_srv
        self.serve_log = serve_log
        self.cycles = cycles
        self.halt = threading.Event()
        self.events: list[str] = []

    def _note(self, what: str) -> None:
        self.events.append(f"{time.strftime('%T')} {what}")

    def run(self) -> None:
        for _ in range(self.cycles):
            if self.halt.wait(1.0):
                return
            started = self.serve_log.read_text().count("Started worker")
            served = serve_processes(self.serve_pid)
            for kind, workers in (
                ("app", served.app_workers),
                ("nginx", served.nginx_workers),
            ):
                if workers:
                    os.kill(workers[0], signal.SIGKILL)
                    self._note(f"SIGKILL {kind} worker {workers[0]}")
            self.redis_srv.kill()
            self._note("SIGKILL redis-server")
            time.sleep(0.3)
            self.redis_srv.start()
            self._note("redis-server back from its AOF")
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and not self.halt.is_set():
                if self.serve_log.read_text().count("Started worker") > started:
                    self._note("granian respawned the worker")
                    break
                time.sleep(0.1)

    def stop(self) -> None:
        self.halt.set()
        self.join()


# --- counting ----------------------------------------------------------------------


def read_results(plan: Path):
    counts: dict[str, int] = {}
    acks: dict[int, list[str]] = {}
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    p50 = p99 = 0
    for f in sorted(plan.glob("result-*.txt")):
        for line in f.read_text().splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "count":
                code, n = rest.split()
                counts[code] = counts.get(code, 0) + int(n)
            elif kind == "ack":
                round_id, ack = rest.split()
                acks.setdefault(int(round_id), []).append(ack)
            elif kind == "summary":
                fields = dict(kv.split("=") for kv in rest.split())
                for key in errors:
                    errors[key] += int(fields[key])
            elif kind == "latency":
                fields = dict(kv.split("=") for kv in rest.split())
                p50 = max(p50, int(fields["p50_us"]))
                p99 = max(p99, int(fields["p99_us"]))
    return counts, acks, errors, p50, p99


def drain(env, rounds, *, stall_s: float = 30) -> None:
    """Wait until the persister has written every stream entry of both rounds.

    Gives up when the count has not moved for `stall_s` (then the difference
    shows up as lost claims).
    """
    import psycopg

    from quarter.vouchers.engines.redis_engine import keys, new_client

    client = new_client(env["REDIS_URL"])
    moved, last = time.monotonic(), None
    while time.monotonic() - moved < stall_s:
        try:
            want = {
                r.pk: client.xlen(keys(r.campaign_id, r.pk)["claims"]) for r in rounds
            }
        except Exception:  # noqa: BLE001 - Redis restarting under --chaos
            time.sleep(0.5)
            continue
        with psycopg.connect(env["DATABASE_URL"]) as db:
            have = dict(
                db.execute(
                    "SELECT round_id, count(*) FROM vouchers_claim "
                    "WHERE round_id = ANY(%s) GROUP BY round_id",
                    ([r.pk for r in rounds],),
                ).fetchall()
            )
        if all(have.get(pk, 0) >= n for pk, n in want.items()):
            return
        if have != last:
            moved, last = time.monotonic(), have
        time.sleep(0.5)
    log(f"the persister stopped short: stream entries {want}, rows {last}")


def stream_window(env, rounds) -> float | None:
    """Seconds from the first acknowledged claim to the last, by stream entry ids."""
    from quarter.vouchers.engines.redis_engine import keys, new_client

    client = new_client(env["REDIS_URL"])
    times = []
    for r in rounds:
        stream = keys(r.campaign_id, r.pk)["claims"]
        for entries in (
            client.xrange(stream, count=1),
            client.xrevrange(stream, count=1),
        ):
            for entry_id, _fields in entries:
                raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                times.append(int(raw.split("-")[0]))
    return (max(times) - min(times)) / 1000 if times else None


def count_in_postgres(env, rounds):
    """Count claims with plain SQL, not through the app."""
    import psycopg

    ids = [r.pk for r in rounds]
    with psycopg.connect(env["DATABASE_URL"]) as db:
        per_round = {
            row[0]: row[1:]
            for row in db.execute(
                "SELECT round_id, count(*), count(DISTINCT person_hash), "
                "count(DISTINCT resident_id), min(claimed_at), max(claimed_at) "
                "FROM vouchers_claim WHERE round_id = ANY(%s) GROUP BY round_id",
                (ids,),
            ).fetchall()
        }
        sources = {}
        for round_id, source in db.execute(
            "SELECT round_id, source_id FROM vouchers_claim WHERE round_id = ANY(%s)",
            (ids,),
        ):
            sources.setdefault(round_id, set()).add(source)
        vouchers = db.execute(
            "SELECT count(*) FROM vouchers_voucher v JOIN vouchers_claim c "
            "ON c.id = v.claim_id WHERE c.round_id = ANY(%s)",
            (ids,),
        ).fetchone()[0]
        # How long after Redis acknowledged a claim its row landed.
        lag = db.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), max(s) FROM "
            "(SELECT extract(epoch FROM persisted_at - claimed_at) AS s "
            "FROM vouchers_claim WHERE round_id = ANY(%s)) AS lags",
            (ids,),
        ).fetchone()
    return per_round, sources, vouchers, lag


def report(args, env, rounds, plan, outputs, **m) -> int:
    counts, acks, errors, p50, p99 = read_results(plan)
    if args.chaos:
        for event in m["chaos"].events:
            log(f"chaos: {event}")
    drain(env, rounds)
    drained_s = time.time() - m["release_at"]
    if args.chaos:
        # What the README tells operators to run after a crash.
        subprocess.run(
            [PY, "manage.py", "reconcile_claims", *[str(r.pk) for r in rounds]],
            cwd=ROOT,
            env=env,
            check=False,
        )
    per_round, sources, vouchers, lag = count_in_postgres(env, rounds)
    rows = sum(v[0] for v in per_round.values())
    oversold = doubled = lost = 0
    first = last = None
    for r in rounds:
        n, people, residents, lo, hi = per_round.get(r.pk, (0, 0, 0, None, None))
        acked = set(acks.get(r.pk, []))
        oversold += max(0, n - r.packets_total) + max(0, len(acked) - r.packets_total)
        doubled += (n - people) + (n - residents)
        missing = acked - sources.get(r.pk, set())
        lost += len(missing)
        others = set().union(*(v for k, v in sources.items() if k != r.pk))
        if missing:
            log(
                f"round {r.pk}: {len(missing):,} acknowledged claims missing, "
                f"{len(missing & others):,} of them with an id another round's row "
                "holds (claim ids unique per stream, not across rounds)"
            )
        if lo is not None:
            first = lo if first is None else min(first, lo)
            last = hi if last is None else max(last, hi)
    acked_total = sum(len(set(v)) for v in acks.values())
    # Packets sold are the acknowledged claims; their times are the stream
    # entry ids (Redis's clock, ms) of each round's first and last entry. The
    # database's claim times give the same window when nothing was lost.
    window = stream_window(env, rounds)
    if window is None and first and last:
        window = (last - first).total_seconds()
    sellout_s = window or 0.0
    rate = acked_total / sellout_s if sellout_s else 0.0
    if first and last:
        log(
            f"first→last claim: {sellout_s:.2f} s by Redis's stream, "
            f"{(last - first).total_seconds():.2f} s by the rows in PostgreSQL"
        )
    taps = sum(counts.values())
    log(
        f"rush: {taps:,} answers in {m['wall']:.1f} s (wrk until the last resident); "
        f"answers {dict(sorted(counts.items()))}"
    )
    log(
        f"wrk socket errors {errors}; latency p50 {p50 / 1000:.1f} ms, "
        f"p99 {p99 / 1000:.1f} ms"
    )
    log(
        f"PostgreSQL: {rows:,} claims ({vouchers:,} vouchers) for "
        f"{sum(r.packets_total for r in rounds):,} "
        f"packets; acknowledged {acked_total:,}"
    )
    log(
        f"persister: {rows:,} claims with {vouchers:,} vouchers in PostgreSQL "
        f"{drained_s:.1f} s after the release, checked once wrk ended; each row "
        f"landed {float(lag[0] or 0):.1f} s (median), at most "
        f"{float(lag[1] or 0):.1f} s after Redis acknowledged its claim "
        "(one persister, beside the rush)"
    )
    sold = max(rows, acked_total)
    if m["app_cpu"] and sold and not args.chaos:
        app_ms = m["app_cpu"] * 1000 / taps if taps else 0.0
        redis_ms = m["redis_cpu_s"] * 1000 / taps if taps else 0.0
        log(
            f"CPU per answer: app workers {app_ms:.3f} ms, Redis {redis_ms:.3f} ms "
            f"({m['app_cpu']:.1f} s and {m['redis_cpu_s']:.1f} s in the rush)"
        )
        rest = m["box_busy"] - (
            m["app_cpu"] + m["redis_cpu_s"] + m["persister_cpu"] + m["postgres_cpu"]
        )
        log(
            f"the box in the rush: {m['box_busy']:.1f} CPU s busy of "
            f"{os.cpu_count() * m['wall']:.1f} ({os.cpu_count()} cores × "
            f"{m['wall']:.1f} s): app {m['app_cpu']:.1f}, Redis "
            f"{m['redis_cpu_s']:.1f}, persister {m['persister_cpu']:.1f}, "
            f"PostgreSQL {m['postgres_cpu']:.1f}, the rest (wrk, kernel) {rest:.1f}"
        )
        per_packet_app = m["app_cpu"] / sold
        per_packet_redis = m["redis_cpu_s"] / sold
        target = HANGZHOU_PACKETS / HANGZHOU_SECONDS
        log(
            f"Hangzhou ({HANGZHOU_PACKETS:,} packets in {HANGZHOU_SECONDS} s = "
            f"{target:,.0f}/s, this run's mix of answers per packet): app CPU "
            f"{per_packet_app * target:.1f} cores, Redis CPU "
            f"{per_packet_redis * target:.2f} cores; at this box's rate "
            f"{HANGZHOU_PACKETS / rate:,.0f} s"
            if rate
            else "no packets sold"
        )
    ratio_django = rate / m["django_per_s"] if m["django_per_s"] else 0.0
    ratio_bare = rate / m["bare_per_s"] if m["bare_per_s"] else 0.0
    print(
        f"RESULT sellout_packets_per_s={rate:.0f} sellout_s={sellout_s:.2f} "
        f"django_hello_per_s={m['django_per_s']:.0f} "
        f"bare_hello_per_s={m['bare_per_s']:.0f} "
        f"ratio_django={ratio_django:.2f} ratio_bare={ratio_bare:.3f} "
        f"oversold={oversold} doubled={doubled} lost={lost}",
        flush=True,
    )
    return 0 if oversold == doubled == lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
