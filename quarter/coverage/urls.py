"""Pages of the planning dashboard, under /planning/."""

from django.urls import path

from quarter.coverage import views

urlpatterns = [
    path("", views.planning_home, name="planning_home"),
    path(
        "district/<int:district_id>/",
        views.district_dashboard,
        name="planning_district",
    ),
    path(
        "district/<int:district_id>/suggest/",
        views.district_suggest,
        name="planning_district_suggest",
    ),
    path(
        "district/<int:district_id>/export.csv",
        views.district_export,
        {"fmt": "csv"},
        name="planning_district_export_csv",
    ),
    path(
        "district/<int:district_id>/export.xlsx",
        views.district_export,
        {"fmt": "xlsx"},
        name="planning_district_export_xlsx",
    ),
    path(
        "district/<int:district_id>/print/",
        views.district_print,
        name="planning_district_print",
    ),
    path("street/<int:street_id>/", views.street_dashboard, name="planning_street"),
    path(
        "street/<int:street_id>/suggest/",
        views.street_suggest,
        name="planning_street_suggest",
    ),
    path(
        "street/<int:street_id>/export.csv",
        views.street_export,
        {"fmt": "csv"},
        name="planning_street_export_csv",
    ),
    path(
        "street/<int:street_id>/export.xlsx",
        views.street_export,
        {"fmt": "xlsx"},
        name="planning_street_export_xlsx",
    ),
    path(
        "street/<int:street_id>/print/",
        views.street_print,
        name="planning_street_print",
    ),
    path("<slug:slug>/", views.dashboard, name="planning_dashboard"),
    path("<slug:slug>/print/", views.print_report, name="planning_print"),
    path("<slug:slug>/recompute", views.recompute, name="planning_recompute"),
    path("<slug:slug>/map.json", views.map_data, name="planning_map_data"),
    path("<slug:slug>/isochrones.json", views.isochrones, name="planning_isochrones"),
    path("<slug:slug>/suggest/", views.suggest, name="planning_suggest"),
    path("<slug:slug>/what-if/", views.what_if, name="planning_what_if"),
    path(
        "<slug:slug>/export.csv",
        views.export,
        {"fmt": "csv"},
        name="planning_export_csv",
    ),
    path(
        "<slug:slug>/export.xlsx",
        views.export,
        {"fmt": "xlsx"},
        name="planning_export_xlsx",
    ),
]
