"""A private redis-server for durability tests and benches: start, SIGKILL, restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on loopback with AOF + fsync before every reply (appendfsync always)."""

    def __init__(self, *, fsync: str = "always", directory: str | None = None) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.dir = Path(directory or tempfile.mkdtemp(prefix="quarter-redis-"))
        self.port = free_port()
        self.fsync = fsync
        self.pid: int | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
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
        for _ in range(200):
            try:
                if client.ping() and pidfile.exists():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            time.sleep(0.02)
        self.pid = int(pidfile.read_text().strip())
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no final fsync; what is on disk is what survives."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            for _ in range(200):
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.01)
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
