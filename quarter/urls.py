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
    path("reviews/", include("quarter.reviews.urls")),
    path("me/notifications/", include("quarter.notifications.urls")),
    # The visit log (联系本): /visits/… (operators, shops) and /me/visits/.
    path("", include("quarter.card.log_urls")),
    path("card/", include("quarter.card.urls")),
    path("", include("quarter.referrals.urls")),
    path("board/", include("quarter.board.urls")),
    path("civic/", include("quarter.civic.urls")),
    path("open311/v2/", include("quarter.civic.urls_open311")),
    path("", include("quarter.benefits.urls")),
    path("", include("quarter.elder.urls")),
    # Uploads come from their own path, never from /static/; a production
    # deployment puts a web server or object store in front of this.
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
