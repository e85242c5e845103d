from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _merchant_event_saved(sender, instance, created, raw=False, **kwargs):
    """Hand a new merchant event to the board, which may draft a notice from it.

    The places services write one MerchantEvent per change inside their
    transaction, so the draft commits or rolls back with the change itself.
    """
    if created and not raw:
        from quarter.board.services import draft_from_merchant_event

        draft_from_merchant_event(instance)


class BoardConfig(AppConfig):
    name = "quarter.board"
    verbose_name = _("公告栏")

    def ready(self):
        from quarter.board import access  # noqa: F401 - declares back-office scopes
        from quarter.places.models import MerchantEvent

        post_save.connect(
            _merchant_event_saved,
            sender=MerchantEvent,
            dispatch_uid="board.draft_from_merchant_event",
        )
