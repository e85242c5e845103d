from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "quarter.indicators"
    verbose_name = _("生活圈指标")
