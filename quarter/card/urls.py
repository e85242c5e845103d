"""Pages of the community card."""

from django.urls import path

from quarter.card import views

app_name = "card"

urlpatterns = [
    path("code", views.card_code, name="code"),
    path("households/", views.households, name="households"),
    path("households/<int:household_id>/", views.household_card, name="household"),
    path(
        "households/<int:household_id>/print",
        views.household_print,
        name="household_print",
    ),
]
