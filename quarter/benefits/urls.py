from django.urls import path

from quarter.benefits import views

app_name = "benefits"

urlpatterns = [
    path("me/benefits/", views.my_benefits, name="mine"),
    path("benefits/rules/", views.rule_list, name="rules"),
    path("benefits/rules/<int:rule_id>/", views.rule_detail, name="rule"),
    path("benefits/rules/<int:rule_id>/edit", views.rule_edit, name="rule_edit"),
    path("benefits/rules/<int:rule_id>/state", views.rule_state, name="rule_state"),
]
