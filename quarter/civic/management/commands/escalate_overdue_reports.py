"""Escalate every open report past its deadline to its community's operators.

Schedule it (cron, systemd timer) every few minutes: it is idempotent (a report
is escalated once per deadline) and safe on two machines at once.
"""

from django.core.management.base import BaseCommand

from quarter.civic.services import escalate_overdue_reports
from quarter.core.actors import SYSTEM


class Command(BaseCommand):
    help = "把超过办理时限的诉求上报社区督办(可重复运行,不会重复上报)"

    def handle(self, *args, **options):
        done = escalate_overdue_reports(actor=SYSTEM)
        self.stdout.write(f"escalated {len(done)} overdue report(s)")
