"""Pages of the sharing rewards; the invitation link is /r/<code>/."""

from django.urls import path

from quarter.referrals import views

app_name = "referrals"

urlpatterns = [
    path("r/<str:code>/", views.landing, name="landing"),
    path("referrals/me/", views.me, name="me"),
    path("referrals/me/withdraw", views.withdraw, name="withdraw"),
    path("referrals/merchant/", views.merchant_home, name="merchant_home"),
    path("referrals/merchant/<int:merchant_id>/", views.merchant, name="merchant"),
    path(
        "referrals/merchant/<int:merchant_id>/promotion",
        views.merchant_promotion,
        name="merchant_promotion",
    ),
    path("referrals/operator/", views.operator, name="operator"),
    path(
        "referrals/operator/merchants/<int:merchant_id>/topup",
        views.operator_topup,
        name="operator_topup",
    ),
    path(
        "referrals/operator/withdrawals/<int:withdrawal_id>/decide",
        views.operator_decide,
        name="operator_decide",
    ),
]
