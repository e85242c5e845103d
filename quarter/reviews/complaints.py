"""Complaints and problem reports about a merchant, from the civic app if installed.

The one seam between the star evaluation and `quarter.civic`: without that
app every merchant has 0 complaints. The integrator wires and tests the call
once civic is merged.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps


def count_complaints(merchant, *, start: dt.datetime, end: dt.datetime) -> int:
    """Return the complaints and problem reports about `merchant` in [start, end)."""
    if not apps.is_installed("quarter.civic"):
        return 0
    from quarter.civic.selectors import complaints_about_merchant

    return int(complaints_about_merchant(merchant, start=start, end=end))
