"""Pages of reviews: rating, replies, moderation, the annual star evaluation."""

from django.urls import path

from quarter.reviews import views

app_name = "reviews"

urlpatterns = [
    path("merchants/<int:merchant_id>/rate/", views.rate, name="rate"),
    path("merchants/<int:merchant_id>/", views.merchant_reviews, name="merchant"),
    path("ratings/<int:rating_id>/reply", views.reply, name="reply"),
    path("moderation/", views.moderation, name="moderation"),
    path("ratings/<int:rating_id>/hide", views.hide, name="hide"),
    path("ratings/<int:rating_id>/show", views.show, name="show"),
    path("ratings/<int:rating_id>/clear", views.clear, name="clear"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:evaluation_id>/", views.evaluation, name="evaluation"),
    path("results/<int:result_id>/reevaluate", views.reevaluate, name="reevaluate"),
    path("results/<int:result_id>/remove", views.remove, name="remove"),
]
