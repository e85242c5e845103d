"""URL map: pages per app, the JSON API under /api/, uploads under /media/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from quarter.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("quarter.people.urls")),
    path("", include("quarter.places.urls")),
    path("planning/", include("quarter.coverage.urls")),
    path("vouchers/", include("quarter.vouchers.urls")),
    path("me/notifications/", include("quarter.notifications.urls")),
    path("", include("quarter.benefits.urls")),
    # Uploads come from their own path, never from /static/; a production
    # deployment puts a web server or object store in front of this.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
