"""nginx in front of the app servers, answering the rush claim itself.

`quarter serve --front` runs Debian's nginx (with ``libnginx-mod-http-lua``) on
the public port and granian on a loopback port behind it. nginx hands every
request to the app servers except ``POST /vouchers/rush/<round>/claim``, which
``quarter_front.lua`` answers the way the Python gate (`rushgate`) does with
Redis: the same ticket check, the same claim script with the same keys and
arguments, and the body `answers.claim_answer` gives for the outcome. The
bodies are rendered here, from that one function, when the server starts;
nothing about an answer is written twice. Whatever the Lua side does not
answer itself (a lottery round, a Redis that lost the round or the script or
does not answer or moved a slot, a URL it cannot use, no ticket key) goes to
the Python gate.

The app servers then see nginx's address; nginx overwrites X-Real-IP with the
client's and `serve` sets QUARTER_CLIENT_IP_HEADER so every limit reads it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = Path("/usr/lib/nginx/modules")
LUA_MODULE = MODULES / "ngx_http_lua_module.so"
NDK_MODULE = MODULES / "ndk_http_module.so"
APT_PACKAGES = ("nginx", "libnginx-mod-http-lua")
CLIENT_IP_HEADER = "HTTP_X_REAL_IP"  # nginx sets X-Real-IP to the client's address
# Debian's bundle of the system's certificate authorities (ca-certificates).
SYSTEM_CA_FILE = Path("/etc/ssl/certs/ca-certificates.crt")
# redis-py's TLS options that nginx's Lua sockets cannot honour.
TLS_UNSUPPORTED = ("ssl_certfile", "ssl_keyfile", "ssl_ca_path", "ssl_ca_data")
MAX_BODY = "16m"  # above DATA_UPLOAD_MAX_MEMORY_SIZE: Django gives the clear error

# Only these headers reach the app servers changed; the rest pass as sent.
PROXY = """proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def missing() -> list[str]:
    """The Debian packages `--front` needs that are not installed."""
    gaps = []
    if nginx_binary() is None:
        gaps.append("nginx")
    if not (LUA_MODULE.exists() and NDK_MODULE.exists()):
        gaps.append("libnginx-mod-http-lua")
    return gaps


def redis_target(url: str) -> dict | None:
    """Where and how nginx reaches Redis for `url`, or None when the Python
    gate answers every claim instead.

    ``redis://``, ``rediss://`` (TLS) and ``redis+cluster://`` URLs, with a
    password and an ACL user name if given. TLS checks the server's
    certificate as redis-py does: against ``ssl_ca_certs`` or the system's
    authorities, naming the host unless ``ssl_check_hostname=false``, not at
    all with ``ssl_cert_reqs=none``. None for a socket path, a client
    certificate, a CA directory or inline CA data (nginx's Lua sockets take
    none of those), TLS on a cluster (its nodes are named by address, which
    a certificate rarely names), and a system without an authorities file.
    """
    from redis.connection import SSLConnection, parse_url

    cluster = url.startswith(("redis+cluster://", "rediss+cluster://"))
    if cluster:
        url = url.replace("+cluster", "", 1)
    if not url.startswith(("redis://", "rediss://")):
        return None
    options = parse_url(url)
    tls = None
    if options.get("connection_class") is SSLConnection:
        if cluster or any(options.get(k) for k in TLS_UNSUPPORTED):
            return None
        verify = str(options.get("ssl_cert_reqs", "required")).lower() not in (
            "none",
            "0",
        )
        check_host = options.get("ssl_check_hostname", True)
        ca_file = options.get("ssl_ca_certs") or (
            str(SYSTEM_CA_FILE) if SYSTEM_CA_FILE.exists() else None
        )
        if verify and not ca_file:
            return None
        tls = {
            # SNI, and the name the certificate must carry when verified.
            "server_name": options.get("host", "127.0.0.1")
            if check_host or not verify
            else None,
            "verify": verify,
            "ca_file": ca_file if verify else None,
        }
    return {
        "host": options.get("host", "127.0.0.1"),
        "port": options.get("port", 6379),
        "db": str(options.get("db", 0)),
        "username": options.get("username") or None,
        "password": options.get("password"),
        "cluster": cluster,
        "tls": tls,
    }


def ip_address(host: str) -> str:
    """`host` as nginx's Lua socket can connect to it: an IP address.

    Those sockets resolve names only through an nginx `resolver`, which a
    Debian box has no address for; `serve` looks the name up once, at start
    (restart the servers after moving Redis to a new address).
    """
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return host  # nginx cannot reach it either: every claim goes to Python
    found.sort(key=lambda info: info[0] != socket.AF_INET)
    address = found[0][4][0]
    return f"[{address}]" if ":" in address else address


def cluster_slots(redis_url: str) -> list[list]:
    """[first slot, last slot, host, port] of each run of hash slots served by
    one primary of the cluster, as the cluster says now. nginx learns of a
    slot that moves later from Redis's MOVED answer (`quarter_front.lua`)."""
    from quarter.vouchers.engines.redis_engine import new_client

    client = new_client(redis_url)
    try:
        owners = client.nodes_manager.slots_cache
        runs: list[list] = []
        for slot in range(16384):
            primary = owners[slot][0]
            where = [primary.host, int(primary.port)]
            if runs and runs[-1][2:] == where and runs[-1][1] == slot - 1:
                runs[-1][1] = slot
            else:
                runs.append([slot, slot, *where])
        return runs
    finally:
        client.close()


def _lua(value) -> str:
    """A Lua literal of a str, int, bool, None, list or dict (JSON's escapes
    are Lua's, apart from \\u, which `ensure_ascii=False` never writes here)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        if "\\u" in text:  # a control character: spell every byte
            return '"' + "".join(f"\\{b:03d}" for b in value.encode()) + '"'
        return text
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return (
        "{" + ", ".join(f"[{_lua(str(k))}] = {_lua(v)}" for k, v in value.items()) + "}"
    )


# Stands in for a value only known per claim; the Lua side splits the body there.
_SLOT = "@@quarter-front-slot@@"


def _split(status: int, body: dict, *, value: bool = False) -> list:
    """[status, text before the slot, text after it]. `value`: the slot stands
    for a whole JSON value (its quotes go too), else for a string's text."""
    text = json.dumps(body, ensure_ascii=False)
    slot = json.dumps(_SLOT) if value else _SLOT
    head, found, tail = text.partition(slot)
    if not found:
        raise ValueError(f"no slot in the answer {text}")
    return [status, head, tail]


def answers() -> tuple[dict, list[str]]:
    """Every answer the Lua side gives, from `claim_answer`, and the refusal codes.

    ``ok`` and ``already_claimed`` are split where the claim's id goes;
    ``packet_sold_out`` where the sell-out time goes (a JSON string or null).
    """
    from quarter.vouchers.answers import claim_answer, refusal
    from quarter.vouchers.engines.base import ClaimOutcome
    from quarter.vouchers.errors import VoucherErrorCode as Code

    table: dict[str, list] = {}
    ok = claim_answer(ClaimOutcome(ok=True, source_id=_SLOT))
    table["ok"] = _split(ok[0], ok[1])
    again = claim_answer(ClaimOutcome(ok=True, repeated=True, source_id=_SLOT))
    table[str(Code.ALREADY_CLAIMED)] = _split(again[0], again[1])
    status, body = claim_answer(ClaimOutcome(ok=False, code=Code.SOLD_OUT))
    body["sold_out_at"] = _SLOT
    table[str(Code.SOLD_OUT)] = _split(status, body, value=True)
    refusals = [
        Code.NOT_RELEASED,
        Code.ROUND_CLOSED,
        Code.PERSON_ALREADY_CLAIMED,
        Code.WEEK_LIMIT,
        Code.RATE_LIMITED,
        Code.TICKET_INVALID,
    ]
    for code in refusals:
        status, body = claim_answer(refusal(code))
        table[str(code)] = [status, json.dumps(body, ensure_ascii=False)]
    return table, [str(c) for c in refusals]


def config_lua(redis_url: str, *, slots: list[list] | None = None) -> str:
    """quarter_front_config.lua: what the Lua side needs, none of it secret
    (the ticket key and Redis's password reach nginx through its environment,
    see `nginx_env`). On a cluster, `slots` (default: `cluster_slots`) say
    which primary serves which hash slots."""
    from quarter.vouchers.engines.redis_engine import CLAIM_LUA
    from quarter.vouchers.ratelimit import limits

    target = redis_target(redis_url)
    table, refusals = answers()
    rate = limits()
    where = {"host": "127.0.0.1", "port": 6379, "db": "0", "tls": False}
    cluster = None
    if target is not None:
        where = {
            "host": ip_address(target["host"]),
            "port": target["port"],
            "db": target["db"],
            "username": target["username"],
            "tls": target["tls"] or False,  # its ca_file is for nginx.conf
        }
        if target["cluster"]:
            cluster = slots if slots is not None else cluster_slots(redis_url)
    config = {
        "enabled": target is not None,
        "script_sha": hashlib.sha1(CLAIM_LUA.encode()).hexdigest(),
        "cluster": cluster,
        "redis": {
            **where,
            "connect_ms": 1000,
            "read_ms": 5000,  # as the Python client's socket_timeout
            "idle_ms": 60000,
            "pool": 256,
        },
        "limits": {
            "account": str(rate["account"][0]),
            "ip": str(rate["ip"][0]),
            "ttl": rate["account"][1],
        },
        "answers": table,
        "refusals": {code: True for code in refusals},
    }
    return f"-- Written by quarter serve --front; do not edit.\nreturn {_lua(config)}\n"


def write_config(
    run: Path,
    *,
    listen: str,
    app_port: int,
    workers: int,
    redis_url: str,
    slots: list[list] | None = None,
) -> Path:
    """Write nginx.conf and the Lua config into `run`; return nginx.conf's path."""
    run.mkdir(parents=True, exist_ok=True)
    (run / "quarter_front_config.lua").write_text(config_lua(redis_url, slots=slots))
    conf = (HERE / "nginx.conf.in").read_text()
    tls = (redis_target(redis_url) or {}).get("tls") or {}
    for name, value in {
        "@LUA_SSL@": _lua_ssl(tls.get("ca_file")),
        "@WORKERS@": str(workers),
        "@RUN@": str(run),
        "@NDK_MODULE@": str(NDK_MODULE),
        "@LUA_MODULE@": str(LUA_MODULE),
        "@LUA_DIR@": str(HERE),
        "@APP_PORT@": str(app_port),
        "@LISTEN@": listen,
        "@MAX_BODY@": MAX_BODY,
        "@PROXY@": PROXY,
    }.items():
        conf = conf.replace(name, value)
    path = run / "nginx.conf"
    path.write_text(conf)
    return path


def _lua_ssl(ca_file: str | None) -> str:
    """nginx's directives for checking Redis's certificate against `ca_file`."""
    if not ca_file:
        return "# Redis without TLS, or TLS unverified: no authorities needed."
    if any(c in ca_file for c in ";{}\"'\n"):
        raise ValueError(f"ssl_ca_certs path nginx cannot quote: {ca_file!r}")
    return f'lua_ssl_trusted_certificate "{ca_file}";\n    lua_ssl_verify_depth 5;'


def load_script(redis_url: str) -> None:
    """Load the claim script into Redis, so the first claims need not go to
    Python for it (after a Redis restart they do, once)."""
    if redis_target(redis_url) is None:
        return
    from quarter.vouchers.engines.redis_engine import CLAIM_LUA, client_for

    client_for(redis_url).script_load(CLAIM_LUA)


def listen_address(host: str, port: int) -> str:
    if ":" in host:  # IPv6
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def nginx_command(conf: Path) -> list[str]:
    return [nginx_binary() or "nginx", "-c", str(conf), "-p", str(conf.parent)]


def nginx_env(base: dict[str, str], redis_url: str) -> dict[str, str]:
    """nginx's environment: the ticket key, derived from SECRET_KEY as the
    Python gate derives it (`codes.rush_key`), and Redis's password; neither
    is written to disk (the ACL user name, not a secret, is in the config)."""
    from quarter.vouchers import codes

    target = redis_target(redis_url or "")
    return {
        **base,
        "QUARTER_RUSH_KEY_HEX": codes.rush_key().hex(),
        "QUARTER_REDIS_PASSWORD": (target or {}).get("password") or "",
    }
