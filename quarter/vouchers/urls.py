"""Pages of the vouchers app."""

from django.urls import path

from quarter.vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/<int:round_id>/", views.round_detail, name="round"),
    path("rounds/<int:round_id>/live", views.round_live, name="live"),
    path("rush/<int:round_id>/claim", views.rush_claim, name="rush_claim"),
    path("hello", views.hello, name="hello"),
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/code", views.wallet_code, name="wallet_code"),
    path("till/", views.till_home, name="till_home"),
    path("till/<int:merchant_id>/", views.till, name="till"),
    path("till/<int:merchant_id>/quote", views.till_quote, name="till_quote"),
    path("till/<int:merchant_id>/redeem", views.till_redeem, name="till_redeem"),
    path(
        "till/<int:merchant_id>/redemptions/<int:redemption_id>/refund",
        views.till_refund,
        name="till_refund",
    ),
    path(
        "till/<int:merchant_id>/visits/<int:visit_id>/refund",
        views.till_visit_refund,
        name="till_visit_refund",
    ),
    path(
        "till/<int:merchant_id>/pledge/<int:campaign_id>",
        views.till_pledge,
        name="pledge",
    ),
    path(
        "till/<int:merchant_id>/settlements/",
        views.merchant_settlements,
        name="merchant_settlements",
    ),
    path(
        "settlements/<int:settlement_id>.<str:fmt>",
        views.settlement_download,
        name="settlement_download",
    ),
    path(
        "settlements/<int:settlement_id>/paid",
        views.settlement_paid,
        name="settlement_paid",
    ),
    path("review/", views.review_queue, name="review"),
    path("review/<int:redemption_id>/", views.review_decide, name="review_decide"),
    path("issuer/", views.issuer_home, name="issuer"),
    path("issuer/settle", views.issuer_settle, name="settle"),
    path("issuer/dashboard/", views.issuer_dashboard, name="dashboard"),
    path("issuer/campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path(
        "issuer/rounds/<int:round_id>/change/", views.round_change, name="round_change"
    ),
    path("issuer/rounds/<int:round_id>/stop", views.round_stop, name="round_stop"),
    path("issuer/rounds/<int:round_id>/draw", views.round_draw, name="round_draw"),
]
