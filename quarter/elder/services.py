"""Remember a person's choice of 长辈模式 in their profile."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from quarter.elder import access
from quarter.elder.models import DisplayPreference


def save_elder_mode(*, actor, on: bool) -> DisplayPreference:
    if not access.can_save_to_profile(actor):
        raise PermissionDenied("only a signed-in person has a profile")
    pref, _ = DisplayPreference.objects.update_or_create(
        user=actor, defaults={"elder_mode": bool(on)}
    )
    return pref
