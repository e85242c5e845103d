"""Who may see notifications: only their recipient (not even operators)."""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core import scope
from quarter.notifications.models import Notification


def notifications_for(actor) -> QuerySet[Notification]:
    """Return the notifications `actor` may read: their own."""
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=actor)


# Messages are personal: the back office shows them to the superuser only.
scope.declare(Notification, superuser_only=True)
