"""Copy acknowledged Redis claims into the database (run beside the app servers)."""

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

    def handle(self, *args, loop=False, interval=0.2, batch=2000, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                "REDIS_URL is not set: the database engine needs no persister"
            )
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
