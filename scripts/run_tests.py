"""Run the whole test suite on SQLite and again on PostgreSQL (`make test`).

Installs what the machine lacks (Debian postgresql, redis-server, chromium,
fonts-noto-cjk), starts PostgreSQL and Redis on 127.0.0.1 in a temporary
directory, runs pytest twice and stops the servers. Outside CI a server that
cannot be had is reported and its tests skip with the reason; with CI=true the
run fails instead.

    python scripts/run_tests.py [--only sqlite|postgres] [pytest args ...]
"""

from __future__ import annotations

import argparse
import glob
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
IN_CI = os.environ.get("CI", "").lower() == "true"
APT_PACKAGES = {
    "postgresql": lambda: bool(_pg_bin("initdb")),
    "redis-server": lambda: bool(shutil.which("redis-server")),
    "chromium": lambda: Path("/usr/bin/chromium").exists(),
    "fonts-noto-cjk": lambda: Path("/usr/share/fonts/opentype/noto").exists(),
}


def log(message: str) -> None:
    print(f"[run_tests] {message}", flush=True)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


def ensure_system_packages() -> None:
    missing = [pkg for pkg, present in APT_PACKAGES.items() if not present()]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log(f"missing system packages {missing} and cannot apt-get install them here")
        return
    log(f"installing {' '.join(missing)} with apt-get …")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *missing],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.pidfile = self.dir / "redis.pid"

    def start(self) -> str | None:
        binary = shutil.which("redis-server")
        if not binary:
            return None
        subprocess.run(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.dir),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if self.pidfile.exists():
                try:
                    with socket.create_connection(
                        ("127.0.0.1", self.port), timeout=0.2
                    ):
                        return f"redis://127.0.0.1:{self.port}/0"
                except OSError:
                    pass
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        if self.pidfile.exists():
            _kill(int(self.pidfile.read_text().strip()))


class Postgres:
    def __init__(self, workdir: Path):
        self.dir = workdir / "pg"
        self.port = free_port()

    def _as_postgres(self, *command: str) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, capture_output=True, text=True)

    def start(self) -> str | None:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            return None
        self.dir.mkdir()
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: the data directory belongs to postgres.
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        result = self._as_postgres(
            initdb,
            "-D",
            str(self.dir / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if result.returncode != 0:
            log(f"initdb failed: {result.stderr.strip()}")
            return None
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        result = self._as_postgres(
            pg_ctl,
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        )
        if result.returncode != 0:
            log(f"PostgreSQL did not start: {result.stderr.strip()}")
            return None
        return f"postgres://postgres@127.0.0.1:{self.port}/quarter"

    def stop(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        if pg_ctl and (self.dir / "data" / "postmaster.pid").exists():
            self._as_postgres(
                pg_ctl, "-D", str(self.dir / "data"), "-m", "fast", "stop"
            )


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def run_pytest(label: str, env: dict, pytest_args: list[str]) -> int:
    log(f"=== pytest on {label} ===")
    command = [sys.executable, "-m", "pytest", *pytest_args]
    return subprocess.call(command, cwd=ROOT, env=env)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args, pytest_args = parser.parse_known_args()
    ensure_system_packages()
    workdir = Path(tempfile.mkdtemp(prefix="quarter-test-"))
    os.chmod(workdir, 0o755)
    redis, postgres = Redis(workdir), Postgres(workdir)
    results: dict[str, int] = {}
    try:
        base_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        }
        base_env["QUARTER_VAR_DIR"] = str(workdir / "var")
        base_env["QUARTER_TEST_ARTIFACTS"] = str(ROOT / "test-results")
        redis_url = redis.start()
        if redis_url:
            base_env["QUARTER_TEST_REDIS_URL"] = redis_url
            log(f"Redis on {redis_url}")
        else:
            log("SKIP Redis tests: redis-server is not available")
        if args.only != "postgres":
            results["sqlite"] = run_pytest("SQLite", base_env, pytest_args)
        if args.only != "sqlite":
            database_url = postgres.start()
            if database_url:
                log(f"PostgreSQL on {database_url}")
                pg_env = dict(base_env, DATABASE_URL=database_url)
                results["postgres"] = run_pytest("PostgreSQL", pg_env, pytest_args)
            elif IN_CI:
                log("FAIL: PostgreSQL could not be started and CI must not skip it")
                results["postgres"] = 1
            else:
                log("SKIP the PostgreSQL pass: PostgreSQL could not be started here")
    finally:
        postgres.stop()
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for label, code in results.items():
        log(f"{label}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if results and all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
