from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "quarter.coverage"
    verbose_name = _("步行覆盖与规划")
