"""`quarter serve` as production runs it: a killed worker comes back, SIGTERM stops it.

The server runs as a real process on loopback (granian, 2 workers, SQLite);
nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from quarter.core.loopback import free_port
from tests import serving


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated SQLite file, copied by each test (migrating takes ~15 s here)."""
    directory = tmp_path_factory.mktemp("serve-template")
    env = serving.production_env(directory)
    serving.migrate(env)
    return directory / "quarter.sqlite3"


@pytest.fixture
def server_env(migrated, tmp_path):
    env = serving.production_env(tmp_path)
    serving.copy_database(migrated, env)
    return env


def test_serve_keeps_answering_when_a_worker_is_killed(server_env, tmp_path):
    port = free_port()
    proc = serving.start_serve(server_env, port, log=tmp_path / "serve.log")
    try:
        serving.wait_answering(port, proc)
        granian, workers = serving.granian_and_workers(proc.pid)
        assert granian and len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        # A connection the dying worker had taken may fail (the phone retries);
        # from then on residents keep getting answers, before and after respawn.
        time.sleep(0.2)
        statuses = []
        for _ in range(40):
            statuses.append(serving.get(port))
            time.sleep(0.05)
        assert statuses == [200] * 40
        deadline = time.monotonic() + 30
        log = tmp_path / "serve.log"
        while time.monotonic() < deadline:
            _g, now_workers = serving.granian_and_workers(proc.pid)
            fresh = [w for w in now_workers if w != workers[0] and serving.alive(w)]
            # Granian logs "Started worker-N" once a worker has loaded the app.
            if len(fresh) == 2 and log.read_text().count("Started worker") == 3:
                break
            time.sleep(0.1)
        assert len(fresh) == 2, "granian did not respawn the killed worker"
        assert proc.poll() is None
        started = time.monotonic()
        assert serving.stop(proc) == 0
        assert time.monotonic() - started < 10
        assert not any(serving.alive(pid) for pid in [granian, *fresh])
        assert serving.get(port, timeout=1) == 0
    finally:
        serving.kill_tree(proc)


@pytest.mark.parametrize("delay", [0.3, "granian"])
def test_serve_sigterm_during_startup_exits_zero(server_env, tmp_path, delay):
    """SIGTERM while Django loads, or just as granian spawns: exit 0, nothing left."""
    port = free_port()
    proc = serving.start_serve(server_env, port, log=tmp_path / "serve.log")
    try:
        if delay == "granian":
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not serving.children(proc.pid):
                time.sleep(0.005)
        else:
            time.sleep(delay)
        started = time.monotonic()
        kids = serving.children(proc.pid)
        assert serving.stop(proc, seconds=20) == 0
        assert time.monotonic() - started < 15
        time.sleep(0.2)
        assert not any(serving.alive(pid) for pid in kids)
        assert serving.get(port, timeout=1) == 0
    finally:
        serving.kill_tree(proc)


def test_serve_worker_killed_during_startup_still_serves_then_stops(
    server_env, tmp_path
):
    port = free_port()
    proc = serving.start_serve(server_env, port, log=tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and not workers:
            _g, workers = serving.granian_and_workers(proc.pid)
            time.sleep(0.005)
        assert workers, "granian never started a worker"
        os.kill(workers[0], signal.SIGKILL)  # before it had loaded the app
        serving.wait_answering(port, proc)
        assert serving.stop(proc) == 0
    finally:
        serving.kill_tree(proc)


def test_serve_exits_nonzero_when_it_cannot_start(server_env, tmp_path):
    """A port already taken: the supervisor must see a failure, not a hang."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serving.start_serve(server_env, port, log=tmp_path / "serve.log")
        try:
            code = proc.wait(timeout=60)
        finally:
            serving.kill_tree(proc)
    assert code != 0
