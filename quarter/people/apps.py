from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "quarter.people"
    verbose_name = _("居民与角色")
