"""A notification: one message to one person, read or unread, with where it leads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message in a person's notification centre.

    `key` makes sending idempotent: the same (recipient, key) is stored once,
    so a job that re-runs or a retried request never notifies twice.
    """

    class Channel(models.TextChoices):
        APP = "app", _("站内")
        SMS = "sms", _("站内+短信")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    # Which part sent it, e.g. "civic.resolved", "benefits.granted".
    kind = models.CharField(_("类别"), max_length=40)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    key = models.CharField(max_length=120)
    channel = models.CharField(
        _("渠道"), max_length=4, choices=Channel.choices, default=Channel.APP
    )
    # Outcome of the SMS channel: "" (not asked), "sent", or the refusal.
    sms_result = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="notification_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
