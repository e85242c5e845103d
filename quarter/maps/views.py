"""The street layer endpoint: GET /maps/streets/<z>/<x>/<y>.json."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from quarter.maps import access, selectors
from quarter.maps.streets import BadTile, Tile

CACHE_CONTROL = "public, max-age=3600"


@require_safe
def street_tile(request: HttpRequest, z: str, x: str, y: str) -> HttpResponse:
    """One tile of streets and compound names as GeoJSON, with an ETag.

    Bad z/x/y answer 400 with a sentence; an unchanged tile answers 304.
    """
    if not access.can_view_street_layer(request.user):  # pragma: no cover - public
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        tile = Tile.parse(z, x, y)
    except BadTile as exc:
        return JsonResponse(
            {"error": "bad_tile", "message": str(exc)},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    body, etag = selectors.street_tile(tile)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
