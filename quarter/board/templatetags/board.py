"""Template tags of the board: the latest notices block of the home page."""

from django import template

from quarter.board import selectors

register = template.Library()


@register.inclusion_tag("board/_latest.html", takes_context=True)
def latest_notices(context, limit: int = 5):
    """Render the newest visible notices for the visitor's community, pinned first."""
    request = context.get("request")
    user = getattr(request, "user", None)
    ids = selectors.home_community_ids(user) if user is not None else None
    return {"notices": list(selectors.visible_notices(community_ids=ids)[:limit])}
