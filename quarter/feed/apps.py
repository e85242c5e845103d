from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "quarter.feed"
    verbose_name = _("为你推荐")

    def ready(self) -> None:
        # Counters follow the events: visits (card and voucher payments),
        # refunds and the resident's own searches, in the event's transaction.
        from django.db.models.signals import post_save

        from quarter.card.signals import visit_recorded, visit_refunded
        from quarter.feed import receivers
        from quarter.places.models import SearchLog

        visit_recorded.connect(
            receivers.on_visit_recorded, dispatch_uid="feed.visit_recorded"
        )
        visit_refunded.connect(
            receivers.on_visit_refunded, dispatch_uid="feed.visit_refunded"
        )
        post_save.connect(
            receivers.on_search_logged, sender=SearchLog, dispatch_uid="feed.search"
        )
