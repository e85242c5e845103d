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
from quarter.core.processes import child_pids, serve_processes
from tests import serving


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated SQLite file, copied by each test (migrating takes ~15 s here)."""
    return serving.migrated_database(tmp_path_factory.mktemp("serve-template"))


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
        served = serve_processes(proc.pid)
        granian, workers = served.granian, served.app_workers
        assert granian and len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        # A connection the dying worker had taken may fail (the phone retries);
        # once it is gone, residents keep getting answers, before and after respawn.
        deadline = time.monotonic() + 10
        while serving.alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        statuses = []
        for _ in range(40):
            statuses.append(serving.get(port, timeout=15))
            time.sleep(0.05)
        assert statuses == [200] * 40
        deadline = time.monotonic() + 90  # loading Django takes long on a busy box
        log = tmp_path / "serve.log"
        while time.monotonic() < deadline:
            now_workers = serve_processes(proc.pid).app_workers
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
            while time.monotonic() < deadline and not child_pids(proc.pid):
                time.sleep(0.005)
        else:
            time.sleep(delay)
        started = time.monotonic()
        kids = child_pids(proc.pid)
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
            workers = serve_processes(proc.pid).app_workers
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


def _post_claim(port: int, round_id: int, ticket: str) -> tuple[str, dict]:
    """Claim through the balancer; (the server that answered, the body)."""
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(
            "POST",
            f"/vouchers/rush/{round_id}/claim",
            headers={"X-Rush-Ticket": ticket, "Content-Length": "0"},
        )
        response = conn.getresponse()
        return response.headers["X-Served-By"], json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_two_servers_behind_one_port_sharing_a_redis_cluster_sell_exactly_the_stock(
    migrated, tmp_path, redis_cluster_url, nginx_front
):
    """Two app servers on one Redis Cluster, behind one balancer's port: a
    round sells its stock once, not twice, and both servers sell."""
    from concurrent.futures import ThreadPoolExecutor

    from quarter.vouchers.engines.redis_engine import new_client

    client = new_client(redis_cluster_url)
    for name, value in (("appendonly", "yes"), ("appendfsync", "always")):
        client.config_set(name, value, target_nodes=client.PRIMARIES)
    env = serving.production_env(tmp_path, REDIS_URL=redis_cluster_url)
    serving.copy_database(migrated, env)
    packets, residents = 30, 90
    world = serving.make_world(env, packets=packets, residents=residents)
    ports = [free_port(), free_port()]
    servers = [
        serving.start_serve(env, port, workers=1, log=tmp_path / f"serve{i}.log")
        for i, port in enumerate(ports)
    ]
    balancer = None
    try:
        for port, proc in zip(ports, servers, strict=True):
            serving.wait_answering(port, proc)
        front_port = free_port()
        balancer = serving.start_balancer(tmp_path / "balancer", front_port, ports)
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(
                pool.map(
                    lambda ticket: _post_claim(front_port, world["round"], ticket),
                    world["tickets"],
                )
            )
    finally:
        if balancer is not None:
            balancer.terminate()
            balancer.wait(timeout=10)
        for proc in servers:
            assert serving.stop(proc) == 0
            serving.kill_tree(proc)
    ok = [(server, body["id"]) for server, body in answers if body.get("code") == "ok"]
    refused = [body.get("code") for _server, body in answers if not body.get("ok")]
    assert len(ok) == packets
    assert {server for server, _id in ok} == {f"127.0.0.1:{p}" for p in ports}, (
        "both servers sold packets"
    )
    assert len(refused) == residents - packets
    assert set(refused) <= {"sold_out", "packet_sold_out"}
    rows, people, _residents = serving.persisted_claims(env, world["round"])
    assert rows == people == packets


def test_the_looping_persister_yields_the_cpu_to_the_claim_button(
    server_env, tmp_path, redis_url
):
    """`persist_claims --loop` runs at a lower priority (nice 10) than the app
    servers, so during a rush it takes the CPU they leave; `--nice 0` keeps it."""
    import subprocess
    import sys

    env = dict(server_env, REDIS_URL=redis_url)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    for extra, expected in (([], min(base + 10, 19)), (["--nice", "0"], base)):
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "persist_claims", "--loop", *extra],
            cwd=serving.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            seen = base
            time.sleep(3)  # Django set up and the loop entered
            while time.monotonic() < deadline and proc.poll() is None:
                seen = os.getpriority(os.PRIO_PROCESS, proc.pid)
                if seen == expected:
                    break
                time.sleep(0.2)
            assert proc.poll() is None, proc.stderr.read().decode()
            assert seen == expected
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    refused = subprocess.run(
        [sys.executable, "manage.py", "persist_claims", "--loop", "--nice", "25"],
        cwd=serving.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "--nice" in refused.stderr
