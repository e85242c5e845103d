"""Account pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from quarter.people import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/real-name/", views.real_name, name="real_name"),
    path("me/card/", views.my_card, name="my_card"),
]
