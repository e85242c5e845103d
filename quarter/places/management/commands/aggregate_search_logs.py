"""Fold searches older than QUARTER_SEARCH_LOG_DAYS into daily counts (idempotent)."""

from django.core.management.base import BaseCommand

from quarter.places.searchlogs import aggregate_search_logs


class Command(BaseCommand):
    help = "把超过保留天数的搜索记录汇总为每日统计并删除明细(可重复运行,可多机同时运行)"

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=None, help="keep this many days of detail"
        )

    def handle(self, *args, **options):
        days = options["days"]
        if days is not None and days < 0:
            from django.core.management import CommandError

            raise CommandError("--days 不能为负数")
        folded = aggregate_search_logs(keep_days=days)
        self.stdout.write(f"已汇总并删除 {folded} 条搜索明细")
