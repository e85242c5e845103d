"""Helpers for tests that run `quarter serve` as a real process on loopback."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from quarter.core.processes import serve_processes

ROOT = Path(__file__).resolve().parent.parent


def production_env(directory: Path, **extra: str) -> dict[str, str]:
    """The environment of a production server with its own SQLite file."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        SECRET_KEY="serve-test-secret-key-0123456789abcdef0123456789abcdef",
        QUARTER_INSECURE_DEV_KEY="false",
        QUARTER_VAR_DIR=str(directory / "var"),
        SQLITE_PATH=str(directory / "quarter.sqlite3"),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="ERROR",
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    """Create the database of `env` (what `quarter serve` would otherwise do)."""
    for command in (["migrate", "-v", "0"], ["createcachetable"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
        )


def migrated_database(directory: Path) -> Path:
    """A migrated SQLite file in `directory`, for tests to copy (migrating
    takes ~15 s here)."""
    migrate(production_env(directory))
    return directory / "quarter.sqlite3"


def copy_database(template: Path, env: dict[str, str]) -> None:
    target = Path(env["SQLITE_PATH"])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


def start_serve(
    env: dict[str, str], port: int, *, workers: int = 2, log: Path, front=False
):
    """Start `quarter serve` (the production command) and return the process."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quarter.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *(["--front"] if front else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


BALANCER_CONF = """daemon off;
pid {run}/nginx.pid;
error_log stderr error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    upstream servers {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://servers;
            proxy_next_upstream off;
            add_header X-Served-By $upstream_addr always;
        }}
    }}
}}
"""


def start_balancer(run: Path, port: int, backends: list[int]) -> subprocess.Popen:
    """nginx on `port` handing requests round-robin to app servers on
    `backends`, as a load balancer in front of several `quarter serve` does.
    Each answer names its server in X-Served-By."""
    from quarter.vouchers.front import nginx_binary

    run.mkdir(parents=True, exist_ok=True)
    conf = run / "balancer.conf"
    conf.write_text(
        BALANCER_CONF.format(
            run=run,
            port=port,
            servers="\n".join(f"        server 127.0.0.1:{b};" for b in backends),
        )
    )
    proc = subprocess.Popen(
        [nginx_binary() or "nginx", "-c", str(conf), "-p", str(run)],
        stderr=(run / "balancer.log").open("wb"),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if get(port, timeout=2) != 0:
            return proc
        time.sleep(0.05)
    log = (run / "balancer.log").read_text()
    raise AssertionError(f"the balancer did not start: {log}")


def get(port: int, path: str = "/vouchers/hello", timeout: float = 5) -> int:
    """GET on a new connection; return the status (0 if nothing answered)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def wait_answering(port: int, proc, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"quarter serve exited with {proc.returncode}")
        if get(port, timeout=2) == 200:
            return
        time.sleep(0.1)
    raise AssertionError("quarter serve did not answer")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(proc, *, seconds: float = 15) -> int | None:
    """SIGTERM the server; return its exit code, or None if it did not exit."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


def kill_tree(proc) -> None:
    """Last resort in a test's teardown: SIGKILL what this test started."""
    if proc.poll() is None:
        for pid in serve_processes(proc.pid).every:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.kill()
        proc.wait()


# Run in a subprocess on a server's SQLite file: per campaign, a released round
# of `packets`, `residents` verified residents and a rush ticket each.
WORLD_SCRIPT = """
import datetime as dt, json, django
django.setup()
from quarter.core import clock
from quarter.vouchers.engines import get_engine
from quarter.vouchers.models import Round
from quarter.vouchers.services.claims import issue_rush_ticket
from quarter.vouchers.tests.factories import World

world = World()
made = []
for _ in range({campaigns}):
    round_ = world.round(world.campaign(), packets={packets})
    residents = [world.resident() for _ in range({residents})]
    at = clock.now() - dt.timedelta(seconds=1)
    Round.objects.filter(pk=round_.pk).update(release_at=at, valid_from=at)
    round_.refresh_from_db()
    get_engine().prepare(round_)
    tickets = [issue_rush_ticket(actor=r.user, round_=round_) for r in residents]
    made.append(
        {{"round": round_.pk, "campaign": round_.campaign_id, "tickets": tickets}}
    )
print(json.dumps({{**made[0], "worlds": made}}))
"""


def make_world(
    env: dict[str, str], *, packets: int, residents: int, campaigns: int = 1
) -> dict:
    """{"round": id, "campaign": id, "tickets": [...]} made in `env`'s database
    (WORLD_SCRIPT); with `campaigns`, "worlds" lists one such per campaign."""
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            WORLD_SCRIPT.format(
                packets=packets, residents=residents, campaigns=campaigns
            ),
        ],
        cwd=ROOT,
        env=dict(env, DJANGO_SETTINGS_MODULE="quarter.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(made.stdout.strip().splitlines()[-1])


def persisted_claims(env: dict[str, str], round_id: int) -> tuple[int, int, int]:
    """Run the persister once, then count the round's claim rows: (rows,
    distinct people, distinct residents)."""
    subprocess.run(
        [sys.executable, "manage.py", "persist_claims"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(env["SQLITE_PATH"]) as db:
        return db.execute(
            "SELECT count(*), count(DISTINCT person_hash), count(DISTINCT resident_id)"
            " FROM vouchers_claim WHERE round_id = ?",
            (round_id,),
        ).fetchone()
