"""Filters of the planning pages."""

from django import template

register = template.Library()


@register.filter
def percent(share) -> str:
    """Render a share in [0, 1] as a whole percentage: 0.354 -> '35%'."""
    if share is None:
        return ""
    return f"{float(share) * 100:.0f}%"


@register.filter
def minutes(value) -> str:
    """Render walking minutes with one decimal, '—' when out of reach."""
    if value is None:
        return "—"
    return f"{float(value):.1f}"
