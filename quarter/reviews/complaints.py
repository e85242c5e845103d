"""Complaints and problem reports about a merchant: the star evaluation's civic input.

The one seam between the star evaluation and `quarter.civic`: a report a
resident or grid worker files about a shop (民情地图, category "about a
merchant") counts as a complaint unless the operator rejected it.
"""

from __future__ import annotations

import datetime as dt

from quarter.civic.selectors import complaints_about_merchant


def count_complaints(merchant, *, start: dt.datetime, end: dt.datetime) -> int:
    """Return the complaints and problem reports about `merchant` in [start, end)."""
    return int(complaints_about_merchant(merchant, start=start, end=end))
