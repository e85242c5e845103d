"""Values every page needs: the map tile settings and the user's roles."""

from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    roles = set()
    if user is not None and user.is_authenticated:
        roles = {g.name for g in user.groups.all()}
    return {
        "QUARTER_TILES": settings.QUARTER_TILES,
        "QUARTER_TILES_ATTRIBUTION": settings.QUARTER_TILES_ATTRIBUTION,
        "user_roles": roles,
    }
