from django.apps import AppConfig


class MapsConfig(AppConfig):
    name = "quarter.maps"
    label = "maps"
    verbose_name = "地图"
