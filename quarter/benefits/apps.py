from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "quarter.benefits"
    verbose_name = _("免申即享")
