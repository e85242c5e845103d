"""PostgreSQL and Redis servers on 127.0.0.1 for the test command, tests and benchmarks.

Each server lives in its own directory and is stopped by its PID, never by name.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_binary(name: str) -> str | None:
    """Return the newest Debian PostgreSQL binary called `name`, if installed."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else None


class PostgresServer:
    """A throw-away cluster. `durable=False` turns off fsync for fast test runs."""

    def __init__(
        self, directory: Path, *, durable: bool = True, max_connections: int = 300
    ) -> None:
        self.dir = Path(directory)
        self.port = free_port()
        self.durable = durable
        self.max_connections = max_connections

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def _as_postgres(self, *command: str) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(command, capture_output=True, text=True)

    def start(self, *, database: str = "postgres") -> str:
        """Create and start the cluster; return its URL. RuntimeError if it cannot."""
        initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(
                "PostgreSQL is not installed (apt-get install postgresql)"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        result = self._as_postgres(
            initdb,
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            *(() if self.durable else ("--no-sync",)),
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip()}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
            f"-c max_connections={self.max_connections}"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self._as_postgres(
            pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        )
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr.strip()}")
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        except ProcessLookupError:
            return
        _wait_gone(pid, seconds=10)


class RedisServer:
    """redis-server with an optional append-only file (`fsync`: always, everysec, off).

    `kill()` is SIGKILL (no shutdown hook, no final fsync), and `start()` again
    brings the same server back from its directory on the same port.
    """

    def __init__(
        self, *, fsync: str = "off", directory: Path | str | None = None
    ) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.dir = Path(directory or tempfile.mkdtemp(prefix="quarter-redis-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.fsync = fsync
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        pidfile = self.dir / "redis.pid"
        pidfile.unlink(missing_ok=True)
        args = [
            self.binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--dir",
            str(self.dir),
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
        ]
        if self.fsync != "off":
            args += ["--appendonly", "yes", "--appendfsync", self.fsync]
        subprocess.run(args, check=True, capture_output=True)
        client = redis.Redis(port=self.port)
        for _ in range(500):
            try:
                if client.ping() and pidfile.exists():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            time.sleep(0.02)
        else:
            raise RuntimeError(f"redis-server did not answer on port {self.port}")
        self.pid = int(pidfile.read_text().strip())
        return self

    def kill(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            _wait_gone(self.pid, seconds=2)
            self.pid = None

    def stop(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.pid = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _wait_gone(pid: int, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
