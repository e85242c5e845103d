"""Pages of the indicator sheets, under /indicators/."""

from django.urls import path

from quarter.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.home, name="home"),
    path("district/<int:district_id>/", views.district, name="district"),
    path(
        "district/<int:district_id>/print/",
        views.district_print,
        name="district_print",
    ),
    path(
        "district/<int:district_id>/indicators.xlsx",
        views.district_export,
        name="district_xlsx",
    ),
    path("circle/<slug:slug>/", views.circle, name="circle"),
]
