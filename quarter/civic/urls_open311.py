"""Open311 GeoReport v2 under /open311/v2/ (see quarter/civic/open311.py)."""

from django.urls import re_path

from quarter.civic import open311

app_name = "open311"

_FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    re_path(r"^services" + _FMT, open311.service_list, name="services"),
    re_path(
        r"^services/(?P<code>[^/]{1,80})" + _FMT,
        open311.service_definition,
        name="service",
    ),
    re_path(r"^requests" + _FMT, open311.requests_view, name="requests"),
    re_path(
        r"^requests/(?P<request_id>[0-9]{1,18})" + _FMT,
        open311.request_detail,
        name="request",
    ),
    re_path(
        r"^tokens/(?P<token>[^/]{1,80})" + _FMT, open311.token_detail, name="token"
    ),
    re_path(r"^(?P<rest>.*)$", open311.not_found, name="not_found"),
]
