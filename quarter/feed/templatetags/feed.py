"""`{% for_you %}`: the resident's 为你推荐 section on the home page."""

from django import template

from quarter.feed.selectors import get_feed

register = template.Library()


@register.inclusion_tag("feed/_for_you.html", takes_context=True)
def for_you(context, limit: int = 6):
    request = context.get("request")
    user = getattr(request, "user", None)
    items = get_feed(actor=user, limit=limit) if user is not None else []
    return {"items": items, "show": bool(items)}
