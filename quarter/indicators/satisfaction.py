"""The latest resident satisfaction figure per circle, from the survey app.

`quarter.surveys.selectors.satisfaction_by_community` computes it in the
database (three queries for any number of circles). Tests may replace the
source through `source`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Tests only: a function standing in for the survey app's selector.
source: Callable[[list[int]], dict] | None = None


def satisfaction_by_community(community_ids: Iterable[int]) -> dict:
    """Return {community id: CommunitySatisfaction}; a circle without a closed
    wave has an empty `wave_name` (not measured yet)."""
    ids = list(community_ids)
    if source is not None:
        return source(ids)
    from quarter.surveys.selectors import satisfaction_by_community as read

    return read(ids)
