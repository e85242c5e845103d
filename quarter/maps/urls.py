"""URLs of the map layers, under /maps/."""

from django.urls import path

from quarter.maps import views

app_name = "maps"

urlpatterns = [
    path(
        "streets/<str:z>/<str:x>/<str:y>.json",
        views.street_tile,
        name="street_tile",
    ),
]
