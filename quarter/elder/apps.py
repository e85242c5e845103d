"""App config of the elder-mode (长辈模式) display preference."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElderConfig(AppConfig):
    name = "quarter.elder"
    verbose_name = _("长辈模式")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from quarter.elder import access

        access._declare_scope()
