"""URL of the 长辈模式 switch."""

from django.urls import path

from quarter.elder import views

app_name = "elder"
urlpatterns = [path("display/elder", views.toggle, name="toggle")]
