"""URL map: pages per app, the JSON API under /api/, uploads under /media/."""

from django.contrib import admin
from django.urls import include, path, re_path

from quarter.api import api
from quarter.core.media import serve_upload

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
    path("", include("quarter.surveys.urls")),  # 居民满意度测评
    path("feed/", include("quarter.feed.urls")),  # feed: 为你推荐, demand signals
    path("indicators/", include("quarter.indicators.urls")),
    path("maps/", include("quarter.maps.urls")),
    # Uploads come from their own path, never from /static/, and through
    # Django so people's photos are checked (quarter.core.media); a web server
    # in front may serve only the public folders (merchants/) by itself.
    re_path(r"^media/(?P<path>.*)$", serve_upload),
]
