"""Run the whole test suite on SQLite and again on PostgreSQL (`make test`).

Installs what the machine lacks (Debian postgresql, redis-server, chromium,
fonts-noto-cjk, nginx and its Lua module), starts PostgreSQL, Redis and a
3-master Redis Cluster on 127.0.0.1 in a temporary directory, runs pytest
twice and stops the servers.
The two passes run at the same time (each with its own Redis servers, so
they never share a key); `--serial` runs them one after the other.
Outside CI a server that cannot be had is reported and its tests skip with the
reason; with CI=true the run fails instead.

    python scripts/run_tests.py [--only sqlite|postgres] [pytest args ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quarter.core.loopback import (  # noqa: E402
    PostgresServer,
    RedisClusterServer,
    RedisServer,
    pg_binary,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
APT_PACKAGES = {
    "postgresql": lambda: bool(pg_binary("initdb")),
    "redis-server": lambda: bool(shutil.which("redis-server")),
    "chromium": lambda: Path("/usr/bin/chromium").exists(),
    "fonts-noto-cjk": lambda: Path("/usr/share/fonts/opentype/noto").exists(),
    # `quarter serve --front` (quarter/vouchers/front): nginx with its Lua module.
    "nginx": lambda: Path("/usr/sbin/nginx").exists(),
    "libnginx-mod-http-lua": lambda: Path(
        "/usr/lib/nginx/modules/ngx_http_lua_module.so"
    ).exists(),
    # The front's TLS test makes its certificate authority with openssl.
    "openssl": lambda: bool(shutil.which("openssl")),
}


def log(message: str) -> None:
    print(f"[run_tests] {message}", flush=True)


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


def _start(start, name: str):
    """Start a server; on failure say why (its tests then skip, or fail under CI)."""
    try:
        return start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        log(f"SKIP {name} tests: {exc}")
        return None


FAILURE_PREFIXES = ("FAILED ", "ERROR ")


def start_pytest(label: str, env: dict, pytest_args: list[str]):
    """Start pytest in the background; its lines are printed prefixed with `label`.

    The names of failed tests are kept and returned by the relay thread's list,
    so that the end of the run can repeat them where a CI log's tail shows them.
    """
    log(f"=== pytest on {label} ===")
    command = [sys.executable, "-m", "pytest", "-rfE", *pytest_args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    failures: list[str] = []

    def relay():
        for line in process.stdout:
            print(f"[{label}] {line}", end="", flush=True)
            if line.startswith(FAILURE_PREFIXES):
                failures.append(line.rstrip())

    thread = threading.Thread(target=relay, daemon=True)
    thread.start()
    return process, thread, failures


def finish(process, thread) -> int:
    code = process.wait()
    thread.join()
    return code


def redis_env(redis, cluster, env: dict) -> dict:
    """Start `redis` and `cluster` and return `env` pointing the tests at them."""
    env = dict(env)
    if _start(redis.start, "Redis") is not None:
        env["QUARTER_TEST_REDIS_URL"] = redis.url
        log(f"Redis on {redis.url}")
    if _start(cluster.start, "Redis Cluster") is not None:
        env["QUARTER_TEST_REDIS_CLUSTER_URL"] = cluster.url
        log(f"Redis Cluster (3 masters) on {cluster.url}")
    return env


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--serial", action="store_true", help="run the two passes one after the other"
    )
    args, pytest_args = parser.parse_known_args()
    ensure_system_packages()
    workdir = Path(tempfile.mkdtemp(prefix="quarter-test-"))
    os.chmod(workdir, 0o755)
    passes = [p for p in ("sqlite", "postgres") if args.only in (None, p)]
    servers = {
        label: (
            RedisServer(directory=workdir / label / "redis"),
            RedisClusterServer(directory=workdir / label / "redis-cluster"),
        )
        for label in passes
    }
    postgres = PostgresServer(workdir / "pg", durable=False, max_connections=200)
    results: dict[str, int] = {}
    failures: dict[str, list[str]] = {}
    try:
        base_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        }
        base_env["QUARTER_TEST_ARTIFACTS"] = str(ROOT / "test-results")
        envs: dict[str, dict] = {}
        for label in passes:
            env = dict(base_env, QUARTER_VAR_DIR=str(workdir / label / "var"))
            envs[label] = redis_env(*servers[label], env)
        if "postgres" in envs:
            database_url = _start(
                lambda: postgres.start(database="quarter"), "PostgreSQL"
            )
            if database_url:
                log(f"PostgreSQL on {database_url}")
                envs["postgres"]["DATABASE_URL"] = database_url
            else:
                del envs["postgres"]
                if IN_CI:
                    log("FAIL: PostgreSQL could not be started and CI must not skip it")
                    results["postgres"] = 1
                else:
                    log("SKIP the PostgreSQL pass: PostgreSQL could not be started")
        if args.serial or len(envs) < 2:
            for label, env in envs.items():
                process, thread, failures[label] = start_pytest(label, env, pytest_args)
                results[label] = finish(process, thread)
        else:
            running = {
                label: start_pytest(label, env, pytest_args)
                for label, env in envs.items()
            }
            for label, (process, thread, failed) in running.items():
                results[label] = finish(process, thread)
                failures[label] = failed
    finally:
        postgres.stop()
        for redis, cluster in servers.values():
            redis.stop()
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for label, code in results.items():
        log(f"{label}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
        for line in failures.get(label, []):
            log(f"  {label}: {line}")
    return 0 if results and all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
