from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CivicConfig(AppConfig):
    name = "quarter.civic"
    verbose_name = _("民情诉求")
