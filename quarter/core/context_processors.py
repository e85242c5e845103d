"""Values every page needs: map tile settings, the user's roles, unread messages."""

from django.conf import settings


def site(request):
    user = getattr(request, "user", None)
    roles = set()
    unread = 0
    if user is not None and user.is_authenticated:
        from quarter.notifications.services import unread_count

        roles = {g.name for g in user.groups.all()}
        unread = unread_count(user)
    from quarter.maps.presets import map_config

    return {
        "QUARTER_MAP": map_config(),
        "QUARTER_TILES": settings.QUARTER_TILES,
        "QUARTER_TILES_ATTRIBUTION": settings.QUARTER_TILES_ATTRIBUTION,
        "user_roles": roles,
        "unread_notifications": unread,
    }
