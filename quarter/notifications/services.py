"""Send and read notifications: `notify` is the one writer every app calls."""

from __future__ import annotations

import logging
import uuid

from django.db import IntegrityError, transaction

from quarter.core import clock
from quarter.notifications.models import Notification

logger = logging.getLogger("quarter.notifications")


def notify(
    recipient,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
    sms: bool = False,
) -> Notification:
    """Put a message in `recipient`'s notification centre and return it.

    With `key`, sending is idempotent: a second call with the same recipient
    and key returns the first notification and sends nothing. With `sms`, the
    text also goes by SMS to the recipient's phone (if any); a gateway failure
    is recorded on the notification and never undoes it.
    """
    key = key or f"once:{uuid.uuid4().hex}"
    existing = Notification.objects.filter(recipient=recipient, key=key).first()
    if existing is not None:
        return existing
    channel = Notification.Channel.SMS if sms else Notification.Channel.APP
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:120],
                body=body,
                url=url,
                key=key,
                channel=channel,
                created_at=clock.now(),
            )
    except IntegrityError:
        return Notification.objects.get(recipient=recipient, key=key)
    if sms:
        _send_sms(notification)
    return notification


def _send_sms(notification: Notification) -> None:
    from quarter.people.sms import SmsError, get_sender

    phone = _phone_of(notification.recipient)
    if not phone:
        result = "no_phone"
    else:
        try:
            get_sender().send_notice(phone, notification.title)
            result = "sent"
        except SmsError as exc:
            logger.warning("notice SMS not sent: %s", exc)
            result = str(exc)[:120]
    Notification.objects.filter(pk=notification.pk).update(sms_result=result)
    notification.sms_result = result


def _phone_of(user) -> str:
    resident = getattr(user, "resident", None)
    if resident is not None and resident.phone:
        return resident.phone
    return user.phone or ""


def unread_count(user) -> int:
    """Return how many of `user`'s notifications are unread."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, notification_ids=None) -> int:
    """Mark `user`'s notifications read (all, or those ids); return how many changed.

    Ids of other people's notifications are ignored, never marked.
    """
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=clock.now())
