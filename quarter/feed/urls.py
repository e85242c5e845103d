from django.urls import path

from quarter.feed import views

app_name = "feed"
urlpatterns = [
    path("", views.for_you, name="for_you"),
    path("demand/", views.community_demand, name="demand"),
    path("shop/<int:merchant_id>/demand/", views.shop_demand, name="shop_demand"),
]
