"""Template filters available in every template (registered as a builtin)."""

from django import template

from quarter.core.identity import mask_phone
from quarter.core.money import format_discount, format_permille_percent, format_yuan

register = template.Library()


@register.filter
def yuan(amount_fen):
    return format_yuan(amount_fen)


@register.filter
def discount(rate_permille):
    return format_discount(rate_permille)


@register.filter
def percent(permille):
    return format_permille_percent(permille)


@register.filter
def masked_phone(value):
    return mask_phone(value or "")


@register.filter
def minutes_hhmm(minutes):
    if minutes is None:
        return ""
    hours, mins = divmod(int(minutes), 60)
    return f"{hours:02d}:{mins:02d}"
