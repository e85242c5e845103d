from django.apps import AppConfig
from django.core import checks


class MapsConfig(AppConfig):
    name = "quarter.maps"
    label = "maps"
    verbose_name = "地图"

    def ready(self) -> None:
        checks.register(check_map_preset)


def check_map_preset(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` and every start refuse a preset that cannot draw a map."""
    from django.core.exceptions import ImproperlyConfigured

    from quarter.maps.presets import csp_hosts

    try:
        csp_hosts()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="maps.E001")]
    return []
