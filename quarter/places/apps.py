from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "quarter.places"
    verbose_name = _("商户与地图")
