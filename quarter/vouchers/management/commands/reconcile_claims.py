"""Make the claim engine and the database agree for recent rounds (after a crash)."""

from django.core.management.base import BaseCommand

from quarter.vouchers.engines import get_engine
from quarter.vouchers.models import Round


class Command(BaseCommand):
    help = "核对并修复领券引擎与数据库(崩溃重启后运行)"

    def add_arguments(self, parser):
        parser.add_argument("round_ids", nargs="*", type=int)

    def handle(self, *args, round_ids=(), **options):
        engine = get_engine()
        rounds = (
            Round.objects.filter(pk__in=round_ids) if round_ids else Round.objects.all()
        )
        bad = 0
        for round_ in rounds.order_by("pk"):
            report = engine.reconcile(round_)
            bad += not report.agrees
            problems = "; ".join(report.problems)
            self.stdout.write(
                f"round {round_.pk} [{report.engine}] db={report.db_claims} "
                f"engine={report.engine_claims} remaining={report.remaining} "
                f"persisted_now={report.persisted_now} "
                f"restored={report.restored_to_engine} "
                f"{'OK' if report.agrees else 'PROBLEMS: ' + problems}"
            )
        if bad:
            raise SystemExit(1)
