"""Pages of the planning dashboard, under /planning/."""

from django.urls import path

from quarter.coverage import views

urlpatterns = [
    path("", views.planning_home, name="planning_home"),
]
