"""Daily jobs: expire vouchers past validity, then settle yesterday (T+1).
Idempotent."""

import datetime as dt

from django.core.management.base import BaseCommand

from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.vouchers import ratelimit
from quarter.vouchers.services import redemptions, settlement


class Command(BaseCommand):
    help = "过期释放 + T+1 结算(可重复运行)"

    def handle(self, *args, **options):
        expired = 0
        while n := redemptions.expire_vouchers():
            expired += n
        day = clock.local_now().date() - dt.timedelta(days=1)
        done = settlement.settle_day(actor=SYSTEM, business_date=day)
        ratelimit.purge_expired()
        self.stdout.write(
            f"expired {expired} vouchers; settled {len(done)} merchants for {day}"
        )
