from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "quarter.referrals"
    verbose_name = _("分享奖励")

    def ready(self) -> None:
        # Rewards follow the visit log: earned when a payment is recorded,
        # reversed when it is refunded, inside the payment's transaction.
        from quarter.card.signals import visit_recorded, visit_refunded
        from quarter.referrals import receivers

        visit_recorded.connect(
            receivers.on_visit_recorded, dispatch_uid="referrals.visit_recorded"
        )
        visit_refunded.connect(
            receivers.on_visit_refunded, dispatch_uid="referrals.visit_refunded"
        )
