"""`manage.py feed_train`: retrain the feed's item-item model (run nightly)."""

from django.core.management.base import BaseCommand

from quarter.feed import services


class Command(BaseCommand):
    help = "Retrain the 为你推荐 item-item model; --rebuild recounts visits first."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, **options):
        if options["rebuild"]:
            n = services.rebuild_counters()
            self.stdout.write(f"recounted {n} visits")
        pairs = services.train_neighbours()
        self.stdout.write(f"trained {pairs} shop pairs")
