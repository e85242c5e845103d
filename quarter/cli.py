"""The `quarter` command: demo, serve, import-osm and any Django management command.

quarter demo [--port 8000]    migrate, load the demo communities, print logins, serve
quarter serve [--host H] [--port 8000] [--workers N] [--threads T]
                              production: granian (WSGI, one worker per core,
                              respawned), exits 0 on SIGTERM/SIGINT
quarter import-osm FILE ...   import a street network (manage.py import_osm)
quarter manage ARGS ...       any manage.py command
"""

from __future__ import annotations

import argparse
import os
import sys
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
) -> int:
    """Run granian (WSGI) in the foreground as a supervisor expects.

    Exit 0 after SIGTERM or SIGINT, at any moment, start-up included: the
    signal is passed to granian, which stops its workers gracefully; whatever
    is left of its process group after the kill timeout is killed. Exit
    non-zero when the server cannot start (migrations fail, the application
    does not load, e.g. Redis without fsync-per-reply, the port is taken) or
    when granian dies on its own. A worker that dies is respawned by granian.
    """
    import signal
    import subprocess
    import time

    stopping: list[float] = []  # when SIGTERM/SIGINT came
    child: list[subprocess.Popen] = []

    spawning: list[bool] = []

    def on_signal(_signum, _frame):
        stopping.append(time.monotonic())
        if child:
            _signal_group(child[0].pid, signal.SIGTERM)
        elif not spawning:  # still loading: stop right here
            raise _Stop
        # else granian is being spawned: it is signalled once Popen returns

    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        try:
            if prepare:
                _django()
                _prepare_database()
            _check_application()
            # Own process group: the supervisor's signal reaches granian once,
            # through this process, and leftovers can be killed as a group.
            spawning.append(True)
            child.append(
                subprocess.Popen(
                    granian_command(
                        host, port, workers=workers, threads=threads, backlog=backlog
                    ),
                    start_new_session=True,
                )
            )
        except _Stop:
            return 0
        except Exception as exc:  # noqa: BLE001 - report any start-up failure
            if stopping:
                return 0
            print(f"quarter serve: cannot start: {exc}", file=sys.stderr, flush=True)
            return 1
        proc = child[0]
        if stopping:  # the signal came while granian was being spawned
            _signal_group(proc.pid, signal.SIGTERM)
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if stopping and time.monotonic() > stopping[0] + KILL_TIMEOUT_S + 5:
                    _signal_group(proc.pid, signal.SIGKILL)
        _signal_group(proc.pid, signal.SIGKILL)  # workers orphaned by a crash
        if stopping:
            return 0
        print(f"quarter serve: granian exited with {code}", file=sys.stderr, flush=True)
        return code or 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
        p.set_defaults(handler=handler)
    sub.add_parser("manage", help="run a manage.py command")
    sub.add_parser("import-osm", help="import an OpenStreetMap extract")
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
