"""A signed-in person's display preference (长辈模式 on or off)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisplayPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="display_preference",
        verbose_name=_("用户"),
    )
    elder_mode = models.BooleanField(_("长辈模式"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("显示偏好")
        verbose_name_plural = _("显示偏好")

    def __str__(self) -> str:
        return f"{self.user} · {'长辈模式' if self.elder_mode else '标准'}"
