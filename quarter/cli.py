"""The `quarter` command: demo, serve, import-osm and any Django management command.

quarter demo [--port 8000]    migrate, load the demo communities, print logins, serve
quarter serve [--front] [--host H] [--port 8000] [--workers N] [--threads T]
                              production: granian (WSGI, one worker per core,
                              respawned), exits 0 on SIGTERM/SIGINT; --front:
                              nginx on the port answers the rush claims
quarter import-osm FILE ...   import a street network (manage.py import_osm)
quarter manage ARGS ...       any manage.py command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from quarter.core.serving import DEFAULT_THREADS, serve_threads


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["quarter", *args])


def _prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def cmd_demo(args) -> int:
    # The demo keeps random keys of its own in var/ (quarter.core.secrets).
    os.environ["QUARTER_DEMO"] = "1"
    _django()
    print("准备数据库 / preparing the database …", flush=True)
    _prepare_database()
    from quarter.demo.services import load_demo

    summary = load_demo()
    print(
        "演示数据已加载 / demo data loaded"
        if summary.created
        else "演示数据已存在 / demo data already present"
    )
    print(f"\nQuarter 演示 / demo: http://{args.host}:{args.port}/")
    print(f"{'角色 role':<22} {'用户名 username':<18} {'密码 password':<20} 说明")
    for login in summary.logins:
        print(
            f"{login.role:<22} {login.username:<18} {login.password:<20} {login.note}"
        )
    print(flush=True)
    return serve(args.host, args.port, workers=args.workers, threads=args.threads)


def cmd_serve(args) -> int:
    return serve(
        args.host,
        args.port,
        workers=args.workers,
        threads=args.threads,
        backlog=args.backlog,
        prepare=True,
        front=args.front,
    )


# Production serving settings, shared by `quarter serve`, its tests and bench/rush.py.
# Blocking threads per worker (quarter.core.serving, QUARTER_SERVE_THREADS): Python
# holds the GIL, so more threads than this only queue inside the worker; every
# thread may hold one Redis and one database connection, so the Redis pool
# (`redis_engine.client_for`) is sized from the same number and PostgreSQL needs
# max_connections >= workers x threads (+ persisters).
DEFAULT_BACKLOG = 4096  # a rush opens thousands of connections in the same second
RESPAWN_INTERVAL_S = 0.5
KILL_TIMEOUT_S = 5  # a claim takes milliseconds; a stuck worker is killed
APP = "quarter.vouchers.rushgate:application"
GRANIAN_LOG_CONFIG = Path(__file__).parent / "core" / "granian_logging.json"


def granian_command(
    host: str,
    port: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    backlog: int | None = None,
    app: str = APP,
) -> list[str]:
    """Return the granian command line production runs (the bench reuses it)."""
    workers = workers or max(os.cpu_count() or 1, 1)
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads or serve_threads()),
        "--backlog",
        str(backlog or DEFAULT_BACKLOG),
        # A worker killed by the OOM killer or a crash comes back; the others keep
        # serving on the shared socket meanwhile.
        "--respawn-failed-workers",
        "--respawn-interval",
        str(RESPAWN_INTERVAL_S),
        "--workers-kill-timeout",
        str(KILL_TIMEOUT_S),
        "--no-ws",
        # granian warns on every start that more than 2 × cores + 1 blocking
        # threads "seems quite high" and suggests `--backpressure`. The threads
        # are intentional (a request mostly waits on Redis or the database with
        # the GIL released; see DEFAULT_THREADS in quarter.core.serving), and
        # the backlog already bounds what waits, so the start-up log drops that
        # one message through granian's --log-config (a filter in
        # quarter.core.serving); every other granian message is printed.
        "--log-config",
        str(GRANIAN_LOG_CONFIG),
        # The rush gate answers voucher claims itself and hands the rest to Django.
        app,
    ]


class _Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler while `quarter serve` starts up."""


def serve(
    host: str,
    port: int,
    *,
    workers: int | None = None,
    threads: int | None = None,
    backlog: int | None = None,
    prepare: bool = False,
    front: bool = False,
) -> int:
    """Run granian (WSGI) in the foreground as a supervisor expects.

    With `front`, nginx listens on host:port and answers the rush claim
    itself (`quarter.vouchers.front`); granian listens on a loopback port
    behind it. nginx respawns its own workers, as granian does.

    Exit 0 after SIGTERM or SIGINT, at any moment, start-up included: the
    signal is passed to each server, which stops its workers gracefully;
    whatever is left of a process group after the kill timeout is killed. Exit
    non-zero when the server cannot start (migrations fail, the application
    does not load, e.g. Redis without fsync-per-reply, the port is taken,
    nginx is missing) or when a server dies on its own (the other is stopped).
    """

    stopping: list[float] = []  # when SIGTERM/SIGINT came
    children: list[subprocess.Popen] = []
    spawning: list[bool] = []

    def on_signal(_signum, _frame):
        stopping.append(time.monotonic())
        if children:
            for proc in children:
                _signal_group(proc.pid, signal.SIGTERM)
        elif not spawning:  # still loading: stop right here
            raise _Stop
        # else the servers are being spawned: signalled once Popen returns

    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        try:
            if prepare:
                _django()
                _prepare_database()
            _check_application()
            commands = _server_commands(
                host,
                port,
                workers=workers,
                threads=threads,
                backlog=backlog,
                front=front,
            )
            # Own process groups: the supervisor's signal reaches each server
            # once, through this process, and leftovers can be killed as a group.
            spawning.append(True)
            for argv, env in commands:
                children.append(subprocess.Popen(argv, env=env, start_new_session=True))
        except _Stop:
            return 0
        except Exception as exc:  # noqa: BLE001 - report any start-up failure
            for proc in children:
                _signal_group(proc.pid, signal.SIGKILL)
            if stopping:
                return 0
            print(f"quarter serve: cannot start: {exc}", file=sys.stderr, flush=True)
            return 1
        if stopping:  # the signal came while the servers were being spawned
            for proc in children:
                _signal_group(proc.pid, signal.SIGTERM)
        ended = _wait_first(children, stopping)
        for proc in children:  # the other server, and workers orphaned by a crash
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        _wait_all(children, KILL_TIMEOUT_S + 5)
        for proc in children:
            _signal_group(proc.pid, signal.SIGKILL)
        if stopping:
            return 0
        name = Path(ended.args[0]).name if ended.args else "a server"
        code = ended.returncode
        print(f"quarter serve: {name} exited with {code}", file=sys.stderr, flush=True)
        return code or 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _server_commands(host, port, *, workers, threads, backlog, front):
    """[(argv, env)] of the servers `serve` runs: granian, and nginx before it."""
    if not front:
        return [
            (
                granian_command(
                    host, port, workers=workers, threads=threads, backlog=backlog
                ),
                None,
            )
        ]
    from django.conf import settings

    from quarter.core.loopback import free_port
    from quarter.vouchers import front as nginx_front

    gaps = nginx_front.missing()
    if gaps:
        raise RuntimeError(f"--front needs Debian's {' '.join(gaps)} (apt-get install)")
    workers = workers or max(os.cpu_count() or 1, 1)
    app_port = free_port()
    conf = nginx_front.write_config(
        Path(settings.VAR_DIR) / "front",
        listen=nginx_front.listen_address(host, port),
        app_port=app_port,
        workers=workers,
        redis_url=settings.REDIS_URL,
    )
    checked = subprocess.run(
        [*nginx_front.nginx_command(conf), "-t", "-q"], capture_output=True, text=True
    )
    if checked.returncode != 0:
        raise RuntimeError(f"nginx refuses its configuration: {checked.stderr.strip()}")
    nginx_front.load_script(settings.REDIS_URL)
    app_env = {
        **os.environ,
        "QUARTER_CLIENT_IP_HEADER": nginx_front.CLIENT_IP_HEADER,
    }
    granian = granian_command(
        "127.0.0.1", app_port, workers=workers, threads=threads, backlog=backlog
    )
    nginx = nginx_front.nginx_command(conf)
    nginx_env = nginx_front.nginx_env(dict(os.environ), settings.REDIS_URL)
    return [(granian, app_env), (nginx, nginx_env)]


def _wait_first(children, stopping):
    """Wait until one server exits; after a stop signal, kill what outlives the
    kill timeout. Return the server that exited."""
    while True:
        for proc in children:
            if proc.poll() is not None:
                return proc
        time.sleep(0.2)
        if stopping and time.monotonic() > stopping[0] + KILL_TIMEOUT_S + 5:
            for proc in children:
                _signal_group(proc.pid, signal.SIGKILL)


def _wait_all(children, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for proc in children:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            pass


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _check_application() -> None:
    """Load the WSGI application once, so a broken set-up fails before granian.

    With respawning on, granian would otherwise restart a worker that can never
    load, forever, and the supervisor would never see the failure.
    """
    import importlib

    module, _, name = APP.partition(":")
    _django()
    getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("manage", "import-osm"):
        _django()
        if argv[0] == "import-osm":
            _manage("import_osm", *argv[1:])
        else:
            _manage(*argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="quarter",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("demo", cmd_demo), ("serve", cmd_serve)):
        p = sub.add_parser(name)
        p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        p.add_argument("--workers", type=int, default=None)
        p.add_argument(
            "--threads",
            type=int,
            default=None,
            help=f"blocking threads per worker (default {DEFAULT_THREADS})",
        )
        p.add_argument("--backlog", type=int, default=None)
        p.add_argument(
            "--front",
            action="store_true",
            default=os.environ.get("QUARTER_FRONT", "") == "nginx",
            help="nginx on the port, answering the rush claim itself "
            "(QUARTER_FRONT=nginx; needs Debian's nginx and libnginx-mod-http-lua)",
        )
        p.set_defaults(handler=handler)
    sub.add_parser("manage", help="run a manage.py command")
    sub.add_parser("import-osm", help="import an OpenStreetMap extract")
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
