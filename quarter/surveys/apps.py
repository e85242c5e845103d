from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "quarter.surveys"
    verbose_name = _("满意度测评")

    def ready(self):
        from quarter.surveys import access  # noqa: F401 - declares back-office scopes
