"""Star filters: `{{ 4|stars }}` is ★★★★☆, `{{ 4.26|one_decimal }}` is 4.3."""

from django import template

register = template.Library()


@register.filter
def stars(value) -> str:
    """Return whole stars out of five as ★ and ☆."""
    try:
        n = max(0, min(5, round(float(value))))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.filter
def one_decimal(value) -> str:
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError):
        return ""
