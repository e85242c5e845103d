"""URLs of the survey: /surveys/… (managers), /me/surveys/… (residents), /s/….

/s/<token>/ is the anonymous page behind a compound's QR poster.
"""

from django.urls import path

from quarter.surveys import views

app_name = "surveys"

urlpatterns = [
    path("surveys/", views.wave_list, name="list"),
    path("surveys/new", views.wave_new, name="new"),
    path("surveys/<int:wave_id>/", views.wave_page, name="wave"),
    path("surveys/<int:wave_id>/questions", views.wave_questions, name="questions"),
    path("surveys/<int:wave_id>/state", views.wave_state, name="state"),
    path("surveys/<int:wave_id>/remind", views.wave_remind, name="remind"),
    path("surveys/<int:wave_id>/progress/", views.wave_progress, name="progress"),
    path("surveys/<int:wave_id>/paper/", views.paper_entry, name="paper"),
    path("surveys/<int:wave_id>/posters/", views.posters, name="posters"),
    path(
        "surveys/<int:wave_id>/results/<slug:slug>/",
        views.results_page,
        name="results",
    ),
    path(
        "surveys/<int:wave_id>/results/<slug:slug>/print/",
        views.results_print,
        name="results_print",
    ),
    path(
        "surveys/<int:wave_id>/results/<slug:slug>/export.xlsx",
        views.results_xlsx,
        name="results_xlsx",
    ),
    path("surveys/district/<int:district_id>/", views.district_page, name="district"),
    path(
        "surveys/district/<int:district_id>/print/",
        views.district_print,
        name="district_print",
    ),
    path(
        "surveys/district/<int:district_id>/export.xlsx",
        views.district_xlsx,
        name="district_xlsx",
    ),
    path("me/surveys/", views.my_surveys, name="mine"),
    path("me/surveys/<int:wave_id>/", views.answer, name="answer"),
    path("s/<str:token>/", views.poster_answer, name="poster_answer"),
    path("s/<str:token>/code", views.poster_code, name="poster_code"),
]
