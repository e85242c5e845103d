"""URLs of the visit log (联系本): /visits/… for operators and shops, /me/visits/."""

from django.urls import path

from quarter.card import log_views as views

app_name = "visitlog"

urlpatterns = [
    path("visits/", views.operator_home, name="operator_home"),
    path("visits/community/<slug:slug>/", views.community, name="community"),
    path(
        "visits/community/<slug:slug>/export.csv",
        views.community_csv,
        name="community_csv",
    ),
    path(
        "visits/community/<slug:slug>/export.xlsx",
        views.community_xlsx,
        name="community_xlsx",
    ),
    path("visits/shop/", views.shop_home, name="shop_home"),
    path("visits/shop/<int:merchant_id>/", views.shop, name="shop"),
    path("visits/shop/<int:merchant_id>/export.csv", views.shop_csv, name="shop_csv"),
    path(
        "visits/shop/<int:merchant_id>/export.xlsx", views.shop_xlsx, name="shop_xlsx"
    ),
    path("me/visits/", views.my_visits, name="mine"),
]
