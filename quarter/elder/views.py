"""The 长辈模式 switch: a plain form POST that works without JavaScript."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from quarter.elder import access, services
from quarter.elder.selectors import COOKIE

ONE_YEAR = 365 * 24 * 3600


@require_POST
def toggle(request):
    on = request.POST.get("on") == "1"
    if access.can_save_to_profile(request.user):
        services.save_elder_mode(actor=request.user, on=on)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        COOKIE,
        "1" if on else "0",
        max_age=ONE_YEAR,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    return response
