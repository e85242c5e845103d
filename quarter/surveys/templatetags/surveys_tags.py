"""Template filters of the survey pages: a posted answer, a rate as percent."""

from django import template

register = template.Library()


@register.filter
def field(posted, question_pk) -> str:
    """Return the posted answer of question `question_pk` ("" if none)."""
    if not posted:
        return ""
    return posted.get(f"q{question_pk}", "")


@register.filter
def pct(value) -> str:
    """0.9123 -> '91.2%'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def delta(rate, previous) -> str:
    """Change since the previous wave in percentage points, e.g. '+2.1个百分点'."""
    if rate is None or previous is None:
        return ""
    return f"{(rate - previous) * 100:+.1f}个百分点"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
