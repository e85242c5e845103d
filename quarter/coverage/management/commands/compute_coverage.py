"""`manage.py compute_coverage [SLUG …]`: recompute walking reach of communities."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from quarter.core.actors import SYSTEM
from quarter.coverage import services
from quarter.places.models import Community


class Command(BaseCommand):
    help = "重新计算社区的步行可达性(不指定则全部)。Recompute coverage of communities."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="community slugs (all when empty)")

    def handle(self, *args, **options):
        qs = Community.objects.order_by("id")
        if options["slugs"]:
            qs = qs.filter(slug__in=options["slugs"])
            missing = set(options["slugs"]) - set(qs.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"没有这些社区:{', '.join(sorted(missing))}")
        for community in qs:
            started = time.perf_counter()
            run = services.refresh_community(actor=SYSTEM, community=community)
            mode = "估算" if run.estimated else f"路网 {run.network.name}"
            self.stdout.write(
                f"{community.name}:{mode},{time.perf_counter() - started:.2f} 秒"
            )
