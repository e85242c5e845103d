"""The `quarter` command: demo, serve, import-osm and any Django management command.

quarter demo [--port 8000]    migrate, load the demo communities, print logins, serve
quarter serve [--port 8000]   serve under granian (WSGI, one worker per core)
quarter import-osm FILE ...   import a street network (manage.py import_osm)
quarter manage ARGS ...       any manage.py command
"""

from __future__ import annotations

import argparse
import os
import sys


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
    return serve(args.host, args.port, workers=args.workers)


def cmd_serve(args) -> int:
    _django()
    _prepare_database()
    return serve(args.host, args.port, workers=args.workers)


def serve(host: str, port: int, *, workers: int | None = None) -> int:
    """Run granian (WSGI) in the foreground; returns its exit code."""
    import subprocess

    workers = workers or max(os.cpu_count() or 1, 1)
    command = [
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
        "--no-ws",
        # The rush gate answers voucher claims itself and hands the rest to Django.
        "quarter.vouchers.rushgate:application",
    ]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


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
        p.set_defaults(handler=handler)
    sub.add_parser("manage", help="run a manage.py command")
    sub.add_parser("import-osm", help="import an OpenStreetMap extract")
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
