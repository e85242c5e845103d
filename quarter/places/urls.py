"""Pages of the places app: home, search, merchant, map,
merchant console, application."""

from django.urls import path

from quarter.places import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("merchants/<int:merchant_id>/", views.merchant_detail, name="merchant_detail"),
    path("map/", views.map_page, name="map"),
    path("map/merchants.json", views.map_data, name="map_data"),
    path("apply/", views.apply, name="merchant_apply"),
    path("console/", views.console, name="merchant_console"),
    path("console/<int:merchant_id>/", views.console_merchant, name="console_merchant"),
    path(
        "console/<int:merchant_id>/discounts/",
        views.console_discounts,
        name="console_discounts",
    ),
    path("console/<int:merchant_id>/hours/", views.console_hours, name="console_hours"),
    path(
        "console/<int:merchant_id>/services/",
        views.console_services,
        name="console_services",
    ),
    path(
        "console/<int:merchant_id>/photos/", views.console_photos, name="console_photos"
    ),
    path(
        "console/<int:merchant_id>/status/", views.console_status, name="console_status"
    ),
    path(
        "console/<int:merchant_id>/exceptions/",
        views.console_exception,
        name="console_exception",
    ),
    path(
        "console/<int:merchant_id>/profile/",
        views.console_profile,
        name="console_profile",
    ),
]
