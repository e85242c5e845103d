"""The latest resident satisfaction figure per circle, from the survey app.

The survey app (`quarter.surveys`) is optional here: when it is not installed
every circle reads "尚未测评". Tests replace the source through `source`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.apps import apps

# Tests only: a function standing in for the survey app's selector.
source: Callable[[list[int]], dict] | None = None


def survey_installed() -> bool:
    return source is not None or apps.is_installed("quarter.surveys")


def satisfaction_by_community(community_ids: Iterable[int]) -> dict:
    """Return {community id: CommunitySatisfaction} for the circles measured.

    A circle missing from the answer has not been measured (no closed wave).
    """
    ids = list(community_ids)
    if source is not None:
        return source(ids)
    if not apps.is_installed("quarter.surveys"):
        return {}
    from quarter.surveys.selectors import satisfaction_by_community as read

    return read(ids)
