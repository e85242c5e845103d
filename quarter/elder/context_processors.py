"""`elder_mode` in every template, so base.html renders the class with no flash."""

from quarter.elder.selectors import elder_mode_for


def elder(request) -> dict:
    return {"elder_mode": elder_mode_for(request)}
