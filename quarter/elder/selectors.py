"""Is 长辈模式 on for this request? The profile wins over the cookie."""

from __future__ import annotations

from quarter.elder.models import DisplayPreference

COOKIE = "quarter_elder"


def elder_mode_for(request) -> bool:
    cached = getattr(request, "_elder_mode", None)
    if cached is not None:
        return cached
    on = request.COOKIES.get(COOKIE) == "1"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        saved = (
            DisplayPreference.objects.filter(user=user)
            .values_list("elder_mode", flat=True)
            .first()
        )
        if saved is not None:
            on = saved
    request._elder_mode = on
    return on
