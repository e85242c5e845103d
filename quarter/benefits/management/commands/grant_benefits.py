"""Grant what every enabled 免申即享 rule owes today (daily; idempotent).

Schedule it once a day, e.g. with cron (China time):

    10 6 * * *  cd /srv/quarter && .venv/bin/quarter manage grant_benefits

Running it again (the next minute, or on a second machine at once) grants
nothing twice: one grant per rule, person and period.
"""

from django.core.management.base import BaseCommand

from quarter.benefits.services import run_grants
from quarter.core.actors import SYSTEM


class Command(BaseCommand):
    help = "免申即享: evaluate enabled rules and grant what is due this period"

    def handle(self, *args, **options):
        run = run_grants(actor=SYSTEM)
        self.stdout.write(
            f"granted={run.granted} already={run.already} "
            f"shortfalls={run.shortfalls} waiting={run.waiting}"
        )
