"""PostgreSQL, Redis and a Redis Cluster on 127.0.0.1 for tests and benchmarks.

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
    """A throw-away cluster. `durable=False` (test runs): no fsync, no autovacuum."""

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
            # A test database is emptied after every transactional test; an
            # autovacuum ANALYZE caught at such a moment records empty tables,
            # and the planner then nests loops over the next test's rows (one
            # back-office query ran for 14 minutes). Without it the planner
            # keeps its size-based estimates.
            options += " -c autovacuum=off"
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
        self.extra_args: list[str] = []
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
        args += self.extra_args
        subprocess.run(args, check=True, capture_output=True)
        client = redis.Redis(port=self.port)
        for _ in range(500):
            try:
                if client.ping() and pidfile.exists():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            except redis.ResponseError:  # a cluster node still loading its config
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


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free as well."""
    for _ in range(200):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


class RedisClusterServer:
    """A Redis Cluster of `masters` redis-servers (no replicas) on 127.0.0.1.

    Built with Debian's `redis-server --cluster-enabled yes` and `redis-cli
    --cluster create`. `url` is ``redis+cluster://127.0.0.1:<first port>/0``,
    which `quarter.vouchers.engines.redis_engine.client_for` turns into a
    `redis.cluster.RedisCluster`. `kill()` SIGKILLs every node; `start()` again
    brings them back from their append-only files and cluster config.
    """

    def __init__(
        self,
        *,
        masters: int = 3,
        fsync: str = "off",
        directory: Path | str | None = None,
    ) -> None:
        self.dir = Path(directory or tempfile.mkdtemp(prefix="quarter-rcluster-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.nodes = []
        for _ in range(masters):
            node = RedisServer(fsync=fsync, directory=self.dir / f"n{len(self.nodes)}")
            node.port = free_cluster_port()
            node.extra_args = [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "3000",
            ]
            self.nodes.append(node)
        self.created = False

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}/0"

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    def start(self) -> RedisClusterServer:
        for node in self.nodes:
            node.start()
        if not self.created:
            cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
            result = subprocess.run(
                [
                    cli,
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{port}" for port in self.ports),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            if result.returncode != 0:
                raise RuntimeError(f"redis-cli --cluster create: {result.stdout}")
            self.created = True
        self.wait_ok()
        return self

    def wait_ok(self, seconds: float = 30) -> None:
        """Wait until every node says cluster_state:ok and knows every slot."""
        import redis

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = []
            for port in self.ports:
                try:
                    info = redis.Redis(port=port).cluster("info")
                except redis.RedisError:
                    info = {}
                if isinstance(info, bytes | str):
                    info = dict(
                        line.split(":", 1)
                        for line in (
                            info.decode() if isinstance(info, bytes) else info
                        ).split()
                    )
                states.append(
                    str(info.get("cluster_state")) == "ok"
                    and str(info.get("cluster_slots_ok")) == "16384"
                )
            if all(states):
                return
            time.sleep(0.1)
        raise RuntimeError(f"Redis Cluster on {self.ports} did not become ok")

    def kill(self) -> None:
        for node in self.nodes:
            node.kill()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
