"""`quarter serve --front`: nginx answers the rush claim, the app servers the rest.

Real processes on loopback (nginx with its Lua module, granian, Redis with
fsync per reply, SQLite); nothing is mocked. The answers are compared with
what `answers.claim_answer` says for the same outcome, field by field.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from quarter.core.loopback import free_port
from quarter.core.processes import child_pids, serve_processes
from quarter.vouchers.answers import claim_answer, refusal
from quarter.vouchers.engines.base import ClaimOutcome
from quarter.vouchers.errors import VoucherErrorCode as Code
from tests import serving


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    return serving.migrated_database(tmp_path_factory.mktemp("front-template"))


def _request(port, method, path, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=20, source_address=(source, 0)
    )
    try:
        conn.request(method, path, headers={"Content-Length": "0", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _claim(port, round_id, ticket, source="127.0.0.1", **headers):
    status, head, body = _request(
        port,
        "POST",
        f"/vouchers/rush/{round_id}/claim",
        {"X-Rush-Ticket": ticket, **headers},
        source=source,
    )
    return status, head, json.loads(body)


@contextlib.contextmanager
def _serving_front(migrated, tmp_path, redis_url: str, **world_args):
    """`quarter serve --front` (one worker) on `redis_url`, over a copy of the
    migrated database holding what `serving.make_world(**world_args)` makes.
    Yields (port, world, env, proc); stops every process after."""
    env = serving.production_env(tmp_path, REDIS_URL=redis_url)
    serving.copy_database(migrated, env)
    world = serving.make_world(env, **world_args)
    port = free_port()
    proc = serving.start_serve(
        env, port, workers=1, log=tmp_path / "serve.log", front=True
    )
    try:
        serving.wait_answering(port, proc)
        yield port, world, env, proc
    finally:
        serving.stop(proc)
        serving.kill_tree(proc)


@pytest.fixture
def front(migrated, tmp_path, redis_url, nginx_front):
    """A `quarter serve --front` on Redis, with a released round of 3 packets
    and tickets for 5 residents."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "always")
    with _serving_front(migrated, tmp_path, redis_url, packets=3, residents=5) as (
        port,
        world,
        env,
        proc,
    ):
        yield port, world, env, client, proc


def test_nginx_answers_the_claim_button_as_python_would(front):
    port, world, env, client, proc = front
    round_id, tickets = world["round"], world["tickets"]

    ids = []
    for ticket in tickets[:3]:
        status, head, body = _claim(port, round_id, ticket, **{"X-Device-Id": "d-1"})
        assert head["X-Claim-Front"] == "nginx" and head["X-Claim-Path"] == "gate"
        assert (status, body) == claim_answer(
            ClaimOutcome(ok=True, source_id=body["id"])
        )
        ids.append(body["id"])
    assert len(set(ids)) == 3

    # A repeated tap: the first packet's id again, nothing more sold.
    status, _head, body = _claim(port, round_id, tickets[0])
    assert (status, body) == claim_answer(
        ClaimOutcome(ok=True, repeated=True, source_id=ids[0])
    )

    # Sold out, with the time of the last packet (China time, HH:MM:SS).
    status, head, body = _claim(port, round_id, tickets[3])
    assert head["X-Claim-Front"] == "nginx"
    assert body["code"] == Code.SOLD_OUT and len(body["sold_out_at"]) == 8
    expected_status, expected = claim_answer(ClaimOutcome(ok=False, code=Code.SOLD_OUT))
    assert (status, {**body, "sold_out_at": None}) == (
        expected_status,
        {**expected, "sold_out_at": None},
    )

    # A forged ticket, and one for another round, are refused without Redis.
    body_part, sig = tickets[4].rsplit(".", 1)
    forged = f"{body_part}.{'0' * len(sig)}"
    for ticket, round_ in ((forged, round_id), (tickets[4], round_id + 1)):
        status, head, body = _claim(port, round_, ticket)
        assert (status, body) == claim_answer(refusal(Code.TICKET_INVALID))
        assert head["X-Claim-Front"] == "nginx"

    # Every other request reaches Django through nginx.
    status, head, _body = _request(port, "GET", "/vouchers/hello")
    assert status == 200 and "X-Claim-Front" not in head
    status, head, _body = _request(port, "GET", f"/vouchers/rush/{round_id}/claim")
    assert "X-Claim-Front" not in head

    # What nginx acknowledged is what the persister writes.
    assert serving.persisted_claims(env, round_id) == (3, 3, 3)
    assert serving.stop(proc) == 0
    assert serving.get(port, timeout=2) == 0, "nginx stopped with the server"


def test_what_nginx_cannot_answer_goes_to_python_which_sees_the_client(front):
    """Redis forgot the claim script (a restart): nginx hands the claim to the
    app servers, which load it again and answer; the next claim is nginx's
    again. Both count against the resident's address, not nginx's."""
    port, world, _env, client, _proc = front
    round_id, tickets = world["round"], world["tickets"]
    client.script_flush()  # the first claim goes to Python, the next to nginx
    paths = []
    for ticket in tickets[:2]:  # a phone at 127.0.0.5; nginx is at 127.0.0.1
        _status, head, body = _claim(port, round_id, ticket, source="127.0.0.5")
        assert body["code"] == "ok" and head["X-Claim-Path"] == "gate"
        paths.append(head.get("X-Claim-Front", "python"))
    assert paths == ["python", "nginx"]
    keys = sorted(k.decode() for k in client.keys("*:rl:ip:*"))
    assert len(keys) == 1 and ":rl:ip:127.0.0.5:" in keys[0]
    assert int(client.get(keys[0])) == 2


@pytest.fixture
def plain_env(migrated, tmp_path, nginx_front):
    env = serving.production_env(tmp_path)
    serving.copy_database(migrated, env)
    return env


def test_front_exits_nonzero_when_its_port_is_taken(plain_env, tmp_path):
    """nginx cannot listen: serve stops granian too and the supervisor sees it."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serving.start_serve(
            plain_env, port, log=tmp_path / "serve.log", front=True
        )
        try:
            code = proc.wait(timeout=90)
        finally:
            serving.kill_tree(proc)
    assert code != 0
    assert "nginx exited" in (tmp_path / "serve.log").read_text()


def test_a_killed_nginx_worker_comes_back_and_a_killed_nginx_stops_serve(
    plain_env, tmp_path
):

    port = free_port()
    proc = serving.start_serve(
        plain_env, port, workers=1, log=tmp_path / "serve.log", front=True
    )
    try:
        serving.wait_answering(port, proc)
        served = serve_processes(proc.pid)
        assert served.nginx and served.nginx_workers
        victim = served.nginx_workers[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            now = child_pids(served.nginx)
            if now and victim not in now:
                break
            time.sleep(0.05)
        assert [serving.get(port) for _ in range(5)] == [200] * 5
        # nginx itself gone: serve stops granian and nginx's orphaned workers
        # and exits non-zero, so the supervisor restarts the whole server.
        served = serve_processes(proc.pid)
        everything = [pid for pid in served.every if pid != served.nginx]
        os.kill(served.nginx, signal.SIGKILL)
        code = proc.wait(timeout=30)
        assert code != 0
        assert not any(serving.alive(pid) for pid in everything)
        assert serving.get(port, timeout=1) == 0
    finally:
        serving.kill_tree(proc)


SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"


@pytest.mark.parametrize(
    "url, target",
    [
        ("redis://127.0.0.1:6380/3", ("127.0.0.1", 6380, "3", None, None, None)),
        ("redis://:p%40ss@cache:1/0", ("cache", 1, "0", None, "p@ss", None)),
        ("redis://cache", ("cache", 6379, "0", None, None, None)),
        ("redis+cluster://node1:7000/0", ("node1", 7000, "0", None, None, None)),
        ("redis://quarter:pw@cache/1", ("cache", 6379, "1", "quarter", "pw", None)),
        (
            "rediss://cache:6380",
            ("cache", 6380, "0", None, None, ("cache", True, SYSTEM_CAS)),
        ),
        (
            "rediss://q:pw@cache?ssl_ca_certs=/etc/q/ca.pem",
            ("cache", 6379, "0", "q", "pw", ("cache", True, "/etc/q/ca.pem")),
        ),
        (  # the chain checked, not the name: no name sent either
            "rediss://10.0.0.7?ssl_check_hostname=false",
            ("10.0.0.7", 6379, "0", None, None, (None, True, SYSTEM_CAS)),
        ),
        (
            "rediss://cache?ssl_cert_reqs=none",
            ("cache", 6379, "0", None, None, ("cache", False, None)),
        ),
        ("rediss://cache?ssl_certfile=/c.pem&ssl_keyfile=/k.pem", None),
        ("rediss://cache?ssl_ca_path=/etc/ssl/certs", None),
        ("rediss+cluster://node1:7000/0", None),
        ("unix:///run/redis.sock", None),
    ],
)
def test_nginx_reaches_redis_as_redis_py_would_or_leaves_it_to_python(url, target):
    """What nginx's Lua socket can do (plain, password, ACL user, TLS checked
    or not) it does itself; a client certificate, a CA directory, TLS on a
    cluster or a socket path leave every claim to the Python gate."""
    from quarter.vouchers.front import redis_target

    found = redis_target(url)
    if target is None:
        assert found is None
        return
    tls = found["tls"] and (
        found["tls"]["server_name"],
        found["tls"]["verify"],
        found["tls"]["ca_file"],
    )
    assert (
        found["host"],
        found["port"],
        found["db"],
        found["username"],
        found["password"],
        tls,
    ) == target


def test_nginx_is_given_an_address_because_its_sockets_resolve_no_names():
    """nginx's Lua sockets answer "no resolver defined" for a name and need
    brackets around an IPv6 address; `serve` looks the name up at start."""
    from quarter.vouchers.front import ip_address

    assert ip_address("localhost") == "127.0.0.1"  # IPv4 first
    assert ip_address("::1") == "[::1]"
    assert ip_address("10.1.2.3") == "10.1.2.3"


def _make_certificates(directory: Path) -> dict[str, Path]:
    """A certificate authority, and a certificate it signed for localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {n: directory / f"{n}.pem" for n in ("ca", "ca-key", "cert", "key")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", *ec, "-keyout", files["ca-key"], "-out", files["ca"],
            "-days", "2", "-subj", "/CN=Quarter test CA")  # fmt: skip
    csr = directory / "redis.csr"
    openssl("req", *ec, "-keyout", files["key"], "-out", csr,
            "-subj", "/CN=localhost")  # fmt: skip
    ext = directory / "san.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", files["ca"], "-CAkey", files["ca-key"],
            "-CAcreateserial", "-out", files["cert"], "-days", "2",
            "-extfile", ext)  # fmt: skip
    return files


@pytest.fixture
def tls_redis(tmp_path):
    """A Redis (fsync per reply) whose clients speak TLS, with a certificate
    for localhost from a CA made here, and whose one user is the ACL user
    `quarter`: the default user is switched off. Yields the rediss:// URL."""
    import redis

    from quarter.core.loopback import RedisServer

    certs = _make_certificates(tmp_path / "tls")
    server = RedisServer(fsync="always", directory=tmp_path / "redis")
    tls_port = free_port()
    server.extra_args = [
        "--tls-port", str(tls_port),
        "--tls-cert-file", str(certs["cert"]),
        "--tls-key-file", str(certs["key"]),
        "--tls-ca-cert-file", str(certs["ca"]),
        "--tls-auth-clients", "no",
    ]  # fmt: skip
    server.start()
    try:
        plain = redis.Redis(port=server.port)
        plain.acl_setuser(
            "quarter",
            enabled=True,
            passwords=["+tls-pw"],
            keys=["*"],
            channels=["*"],
            commands=["+@all"],
        )
        plain.acl_setuser("default", enabled=False)
        yield (
            (
                f"rediss://quarter:tls-pw@localhost:{tls_port}/0"
                f"?ssl_ca_certs={certs['ca']}"
            ),
            certs,
        )
    finally:
        server.cleanup()


def test_nginx_claims_over_tls_as_an_acl_user_and_never_trusts_another_ca(
    migrated, tmp_path, tls_redis, nginx_front
):
    """On a TLS Redis that knows only an ACL user, nginx answers the claims
    itself (name resolved at start, certificate checked against the URL's CA,
    AUTH with user and password). An nginx told to trust another CA does not
    talk to that Redis: its claims go to Python, which answers them."""
    url, certs = tls_redis
    with _serving_front(migrated, tmp_path, url, packets=3, residents=3) as (
        port,
        world,
        env,
        _proc,
    ):
        status, head, body = _claim(port, world["round"], world["tickets"][0])
        assert (status, body["code"]) == (200, "ok"), body
        assert head["X-Claim-Front"] == "nginx"

        stranger = _make_certificates(tmp_path / "stranger")
        other_url = url.replace(str(certs["ca"]), str(stranger["ca"]))
        with _second_nginx(tmp_path / "other", dict(env, REDIS_URL=other_url)) as other:
            status, head, body = _claim(other, world["round"], world["tickets"][1])
        assert (status, body["code"]) == (200, "ok"), body
        assert "X-Claim-Front" not in head  # Python answered, over its own TLS
        errors = (tmp_path / "other" / "nginx.err").read_text()
        assert "certificate verify error" in errors  # nginx's own words
    rows, people, _residents = serving.persisted_claims(env, world["round"])
    assert rows == people == 2


class _DyingApp:
    """Stands in for granian on the app port: the first request to each path
    dies with its worker (the connection closes with no answer), the next one
    is answered. Records each request nginx sent."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if not data:
                    continue
                method, path = data.split(b" ", 2)[:2]
                request = (method.decode(), path.decode())
                self.seen.append(request)
                if self.seen.count(request) == 1:  # the worker dies: reset
                    conn.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    continue
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                    b"Connection: close\r\n\r\nok"
                )

    def close(self):
        self.listener.close()


def test_nginx_retries_a_claim_whose_worker_died_but_never_a_till_post(
    nginx_front, tmp_path, settings
):
    """A granian worker killed mid-request: the claim Lua handed to Python and
    any GET go once more to the app (another worker answers); any other POST,
    a till's redemption say, is not sent twice, the cashier sees the error."""
    from quarter.vouchers import front as nginx_front_module

    app = _DyingApp()
    port = free_port()
    conf = nginx_front_module.write_config(
        tmp_path / "front",
        listen=f"127.0.0.1:{port}",
        app_port=app.port,
        workers=1,
        redis_url="unix:///nowhere/redis.sock",  # Lua hands every claim on
    )
    nginx = subprocess.Popen(
        nginx_front_module.nginx_command(conf),
        env=nginx_front_module.nginx_env(dict(os.environ), ""),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while nginx.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        claim = _request(port, "POST", "/vouchers/rush/7/claim")
        till = _request(port, "POST", "/vouchers/till/redeem")
        page = _request(port, "GET", "/vouchers/wallet")
        assert (claim[0], claim[2]) == (200, b"ok")
        assert till[0] == 502
        assert (page[0], page[2]) == (200, b"ok")
        assert app.seen == [
            ("POST", "/vouchers/rush/7/claim"),
            ("POST", "/vouchers/rush/7/claim"),
            ("POST", "/vouchers/till/redeem"),
            ("GET", "/vouchers/wallet"),
            ("GET", "/vouchers/wallet"),
        ]
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        app.close()


SECOND_NGINX = """
import django, json, os, sys
django.setup()
from pathlib import Path
from quarter.vouchers import front
url = os.environ["REDIS_URL"]
conf = front.write_config(
    Path(sys.argv[1]), listen=sys.argv[2], app_port=int(sys.argv[3]), workers=1,
    redis_url=url, slots=json.loads(sys.argv[4]),
)
print(json.dumps({"conf": str(conf), "env": front.nginx_env({}, url)}))
"""


@contextlib.contextmanager
def _second_nginx(run: Path, env, *, slots=None):
    """Another `--front` nginx before the app servers of the serve that
    `_serving_front` started in `run`'s parent directory, configured from
    `env` (its REDIS_URL) and, on a cluster, `slots`. Yields its port."""
    import re

    from quarter.vouchers import front as nginx_front_module

    serve_conf = run.parent / "var" / "front" / "nginx.conf"
    app_port = int(
        re.search(r"server 127\.0\.0\.1:(\d+)", serve_conf.read_text()).group(1)
    )
    port = free_port()
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            SECOND_NGINX,
            str(run),
            f"127.0.0.1:{port}",
            str(app_port),
            json.dumps(slots),
        ],
        cwd=serving.ROOT,
        env=dict(env, DJANGO_SETTINGS_MODULE="quarter.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    written = json.loads(made.stdout.strip().splitlines()[-1])
    proc = subprocess.Popen(
        nginx_front_module.nginx_command(Path(written["conf"])),
        env={**os.environ, **written["env"]},
        stderr=(run / "nginx.err").open("wb"),
    )
    try:
        serving.wait_answering(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_on_a_redis_cluster_nginx_asks_the_shard_of_each_campaign(
    migrated, tmp_path, redis_cluster_url, nginx_front
):
    """Campaigns whose hash slots live on different primaries are all answered
    by nginx. With a stale slot map, Redis answers MOVED: that claim goes to
    Python, and nginx asks the new owner from the next claim on."""
    from redis.crc import key_slot

    from quarter.vouchers import front as nginx_front_module
    from quarter.vouchers.engines.redis_engine import new_client

    client = new_client(redis_cluster_url)
    for name, value in (("appendonly", "yes"), ("appendfsync", "always")):
        client.config_set(name, value, target_nodes=client.PRIMARIES)
    slots = nginx_front_module.cluster_slots(redis_cluster_url)
    assert len({(run[2], run[3]) for run in slots}) == 3

    def primary(campaign):
        slot = key_slot(f"{{campaign:{campaign}}}".encode())
        return next((r[2], r[3]) for r in slots if r[0] <= slot <= r[1])

    with _serving_front(
        migrated, tmp_path, redis_cluster_url, packets=2, residents=3, campaigns=4
    ) as (port, made, env, _proc):
        worlds = made["worlds"]
        campaigns = [world["campaign"] for world in worlds]
        assert len({primary(c) for c in campaigns}) == 3, "every shard is asked"
        for world in worlds:
            status, head, body = _claim(port, world["round"], world["tickets"][0])
            assert status == 200 and body["code"] == "ok", body
            assert head["X-Claim-Front"] == "nginx"

        # A second nginx before the same app servers, with every run of slots
        # said to be on the next primary: the map after a resharding.
        owners = [run[2:] for run in slots]
        rotated = [
            [*run[:2], *owners[(i + 1) % len(owners)]] for i, run in enumerate(slots)
        ]
        with _second_nginx(tmp_path / "stale", env, slots=rotated) as stale:
            world = worlds[0]
            moved = _claim(stale, world["round"], world["tickets"][1])
            again = _claim(stale, world["round"], world["tickets"][2])
        assert moved[2]["code"] == "ok" and "X-Claim-Front" not in moved[1]
        assert again[2]["code"] == "packet_sold_out"
        assert again[1]["X-Claim-Front"] == "nginx"
    for world in worlds:
        rows, people, _residents = serving.persisted_claims(env, world["round"])
        assert rows == people == (2 if world is worlds[0] else 1)


def test_redis_password_reaches_nginx_only_through_its_environment(settings):
    from quarter.vouchers import front as nginx_front_module

    url = "redis://:s3cret-pw@127.0.0.1:6390/2"
    config = nginx_front_module.config_lua(url)
    assert "s3cret-pw" not in config and '["db"] = "2"' in config
    env = nginx_front_module.nginx_env({}, url)
    assert env["QUARTER_REDIS_PASSWORD"] == "s3cret-pw"
    assert (
        nginx_front_module.nginx_env({}, "redis://127.0.0.1:6390/0")[
            "QUARTER_REDIS_PASSWORD"
        ]
        == ""
    )
