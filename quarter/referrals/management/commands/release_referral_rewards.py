"""Make referral rewards past the refund window withdrawable (schedule it, e.g. hourly).

Idempotent and safe to run on two machines at once.
"""

from django.core.management.base import BaseCommand

from quarter.core.actors import SYSTEM
from quarter.referrals import services


class Command(BaseCommand):
    help = "发放已过退款期的分享奖励(可重复运行)"

    def handle(self, *args, **options):
        released = services.release_rewards(actor=SYSTEM)
        self.stdout.write(f"released {released} referral rewards")
