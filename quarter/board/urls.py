"""Pages of the board: notices, jobs, suggestions, a shop's submissions, the desk."""

from django.urls import path

from quarter.board import views

app_name = "board"

urlpatterns = [
    path("", views.notice_list, name="notices"),
    path("notices/<int:notice_id>/", views.notice_detail, name="notice"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/new/", views.suggestion_new, name="suggestion_new"),
    path(
        "suggestions/<int:suggestion_id>/",
        views.suggestion_detail,
        name="suggestion",
    ),
    path(
        "suggestions/<int:suggestion_id>/support",
        views.suggestion_support,
        name="support",
    ),
    path(
        "suggestions/<int:suggestion_id>/answer",
        views.suggestion_answer,
        name="answer",
    ),
    path("shop/<int:merchant_id>/", views.shop, name="shop"),
    path("shop/<int:merchant_id>/notices", views.shop_notice, name="shop_notice"),
    path("shop/<int:merchant_id>/jobs", views.shop_job, name="shop_job"),
    path("jobs/<int:job_id>/withdraw", views.job_withdraw, name="job_withdraw"),
    path("desk/", views.desk, name="desk"),
    path("desk/notices", views.desk_notice, name="desk_notice"),
    path(
        "desk/notices/<int:notice_id>/approve",
        views.notice_approve,
        name="notice_approve",
    ),
    path(
        "desk/notices/<int:notice_id>/reject", views.notice_reject, name="notice_reject"
    ),
    path(
        "desk/notices/<int:notice_id>/withdraw",
        views.notice_withdraw,
        name="notice_withdraw",
    ),
    path("desk/jobs/<int:job_id>/approve", views.job_approve, name="job_approve"),
    path("desk/jobs/<int:job_id>/reject", views.job_reject, name="job_reject"),
]
