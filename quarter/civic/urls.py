"""Pages of problem reporting under /civic/."""

from django.urls import path

from quarter.civic import views

app_name = "civic"

urlpatterns = [
    path("report/", views.report_new, name="report_new"),
    path("mine/", views.my_reports, name="my_reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path(
        "reports/<int:report_id>/dispatch",
        views.report_dispatch,
        name="report_dispatch",
    ),
    path("reports/<int:report_id>/start", views.report_start, name="report_start"),
    path(
        "reports/<int:report_id>/resolve", views.report_resolve, name="report_resolve"
    ),
    path("reports/<int:report_id>/close", views.report_close, name="report_close"),
    path("reports/<int:report_id>/reject", views.report_reject, name="report_reject"),
    path("reports/<int:report_id>/reopen", views.report_reopen, name="report_reopen"),
    path("queue/", views.queue, name="queue"),
    path("map/", views.reports_map, name="map"),
    path("map/reports.json", views.reports_map_data, name="map_data"),
    path("stats/", views.stats, name="stats"),
]
