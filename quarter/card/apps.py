from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardConfig(AppConfig):
    name = "quarter.card"
    verbose_name = _("大家卡")
