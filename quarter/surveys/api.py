"""JSON API of the survey: one circle's results in one wave.

Managers (operators, planners) only; the same selector as the results page,
so a group of fewer than 5 responses comes back with null rates and counts.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.security import django_auth

from quarter.core.errors import NotFound
from quarter.places.models import Community
from quarter.surveys import access, selectors
from quarter.surveys.access import MIN_CELL
from quarter.surveys.models import Wave


class EstimateOut(Schema):
    rate: float | None
    low: float | None
    high: float | None
    responses: int | None  # null when fewer than 5
    suppressed: bool


class GroupOut(Schema):
    key: str
    label: str
    result: EstimateOut


class TrendOut(Schema):
    wave: str
    result: EstimateOut


class ResultsOut(Schema):
    wave: str
    community: str
    target: float
    overall: EstimateOut
    unverified: EstimateOut
    dimensions: list[GroupOut]
    compounds: list[GroupOut]
    age_bands: list[GroupOut]
    trend: list[TrendOut]


def _out(e: selectors.Estimate) -> EstimateOut:
    small = e.responses < MIN_CELL
    return EstimateOut(
        rate=e.rate,
        low=e.low,
        high=e.high,
        responses=None if small else e.responses,
        suppressed=small,
    )


def _groups(items) -> list[GroupOut]:
    return [GroupOut(key=i.key, label=i.label, result=_out(i.estimate)) for i in items]


def results(request: HttpRequest, wave_id: int, slug: str):
    """综合满意度 of one community in one wave, by dimension, compound and age band."""
    wave = get_object_or_404(Wave, pk=wave_id)
    community = get_object_or_404(Community, slug=slug)
    access.require_community_manager(request.user, community)
    if not wave.communities.filter(pk=community.pk).exists():
        raise NotFound("not_found", "这次测评不含该社区")
    r = selectors.get_circle_results(wave=wave, community=community)
    return ResultsOut(
        wave=wave.name,
        community=community.name,
        target=selectors.TARGET,
        overall=_out(r.overall),
        unverified=_out(r.unverified),
        dimensions=_groups(r.dimensions),
        compounds=_groups(r.compounds),
        age_bands=_groups(r.age_bands),
        trend=[TrendOut(wave=p.wave.name, result=_out(p.estimate)) for p in r.trend],
    )


def build_router() -> Router:
    router = Router(tags=["surveys"], auth=django_auth)
    router.get(
        "/surveys/waves/{wave_id}/results/{slug}",
        response=ResultsOut,
        url_name="survey_results",
    )(results)
    return router


router = build_router()
