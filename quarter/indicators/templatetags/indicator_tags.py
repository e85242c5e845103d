"""Filters of the indicator pages."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def points(change) -> str:
    """Render a change of share as percentage points: 0.052 -> '+5.2个百分点'."""
    if change is None:
        return ""
    return gettext("%(sign)s%(n).1f个百分点") % {
        "sign": "+" if change >= 0 else "−",
        "n": abs(change) * 100,
    }
