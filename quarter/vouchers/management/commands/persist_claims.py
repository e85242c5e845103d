"""Copy acknowledged Redis claims into the database (run beside the app servers).

With `--loop` the persister lowers its own CPU priority (`--nice`, 10 by
default): during a rush residents' claims are answered from Redis (durable in
its fsynced append-only file), so on a box it shares with the app servers the
persister takes the CPU they leave and catches up after the sell-out instead
of competing with the claim button. `--nice 0` keeps the normal priority
(a persister on a box of its own).
"""

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from quarter.vouchers.engines.redis_engine import client_for, persist_pending


class Command(BaseCommand):
    help = "把 Redis 中已确认的领券记录写入数据库(可多机同时运行)"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=0.2)
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument(
            "--nice",
            type=int,
            default=10,
            help="with --loop, lower the CPU priority by this much (0: keep it)",
        )

    def handle(self, *args, loop=False, interval=0.2, batch=2000, nice=10, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                "REDIS_URL is not set: the database engine needs no persister"
            )
        if not 0 <= nice <= 19:
            raise CommandError("--nice must be between 0 and 19")
        if loop and nice:
            os.nice(nice)
        import redis
        from django.db import close_old_connections

        client = client_for(settings.REDIS_URL)
        while True:
            try:
                written = persist_pending(client=client, count=batch)
            except (
                redis.ConnectionError,
                redis.TimeoutError,
                redis.BusyLoadingError,
            ) as exc:
                # Redis is restarting: nothing was acknowledged to the stream
                # group, so the entries are read again once it is back.
                self.stderr.write(f"redis unavailable ({exc}); retrying")
                close_old_connections()
                time.sleep(interval)
                continue
            if written:
                self.stdout.write(f"persisted {written}")
            if not loop:
                break
            if not written:
                time.sleep(interval)
