"""Reads of the survey: results, progress, trend, the district roll-up.

Definition of 综合满意度 (overall satisfaction), used everywhere:

    Within each cell c (a compound × age band of the wave), p_c is the number
    of scale answers of 4 or 5 (比较满意, 很满意) divided by the number of scale
    answers of 1–5, over every question of every response in the cell;
    answers of 不了解 count in neither. The figure is the post-stratified
    mean  rate = Σ N_c·p_c / Σ N_c,  where N_c is the register's active
    population aged 18+ in the cell when the wave opened (`Quota.population`).
    Cells without responses drop out and the others are re-weighted (their
    N_c sum to the denominator). Responses in a cell the register gives no
    population (a compound with no register yet) are left out of the
    weighted figure and of its count of responses; if no answered cell has
    register population, the unweighted share of all answers is used.

    Only verified responses count: the resident app (registered residents)
    and paper questionnaires typed in by a grid worker. Poster (QR) answers,
    proved only by an SMS code, are reported apart, unweighted.

    A dimension's rate is the same with only that dimension's questions; a
    compound's or an age band's rate the same within those cells.

Confidence interval: the 95 % Wilson score interval for the rate, with the
effective number of respondents n_eff = (Σw)² / Σw² (Kish) in place of n,
where each respondent in cell c has weight w = N_c / n_c. Respondents, not
answers, are the sample size: one person's answers go together, and a
respondent's share of satisfied answers varies no more than a 0/1 answer, so
the interval is, if anything, conservative.

Privacy: a result (rate, interval or count) is returned only for a group of
at least `MIN_CELL` (5) responses; smaller groups come back as `None` rates
and a `suppressed` flag, in pages, the API and the exports alike. Counts on
the progress page are only counts per compound and age band, never answers.

Everything is computed by aggregates in the database (one row per cell),
never by reading every response into Python.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from quarter.places.models import Community, District
from quarter.surveys.access import MIN_CELL
from quarter.surveys.models import (
    SATISFIED_FROM,
    AgeBand,
    Answer,
    Dimension,
    Quota,
    Response,
    Source,
    Wave,
    WaveState,
)

Z95 = 1.959963984540054
TARGET = 0.9  # the national target: 综合满意度 ≥ 90 %


# --- the estimator ------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """Aggregates of one compound × age band: responses, satisfied, known answers."""

    n: int
    satisfied: int
    known: int


@dataclass(frozen=True)
class Estimate:
    rate: float | None
    low: float | None
    high: float | None
    responses: int

    @property
    def suppressed(self) -> bool:
        return self.responses < MIN_CELL

    @property
    def meets_target(self) -> bool | None:
        return None if self.rate is None else self.rate >= TARGET


EMPTY = Estimate(None, None, None, 0)


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of proportion `p` on `n` observations."""
    if n <= 0:
        return (0.0, 1.0)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def estimate(cells: dict, population: dict) -> Estimate:
    """Post-stratified rate of `cells` ({key: Cell}) weighted by `population`.

    Returns `EMPTY`-like (rates None) for fewer than `MIN_CELL` responses.
    """
    used = {k: c for k, c in cells.items() if c.known > 0}
    responses = sum(c.n for c in used.values())
    if responses < MIN_CELL:
        return Estimate(None, None, None, responses)
    weighted = {k: c for k, c in used.items() if population.get(k, 0) > 0}
    if weighted:
        responses = sum(c.n for c in weighted.values())
        if responses < MIN_CELL:
            return Estimate(None, None, None, responses)
        total = sum(population[k] for k in weighted)
        rate = sum(population[k] * c.satisfied / c.known for k, c in weighted.items())
        rate /= total
        sum_w2 = sum(population[k] ** 2 / c.n for k, c in weighted.items())
        n_eff = total * total / sum_w2
    else:
        rate = sum(c.satisfied for c in used.values()) / sum(
            c.known for c in used.values()
        )
        n_eff = responses
    low, high = wilson(rate, n_eff)
    return Estimate(rate, low, high, responses)


def _cell(row: dict) -> Cell:
    return Cell(n=row["n"], satisfied=row["sat"] or 0, known=row["known"] or 0)


# --- aggregate queries ------------------------------------------------------


def _response_cells(responses, *keys: str) -> dict[tuple, Cell]:
    rows = responses.values(*keys).annotate(
        n=Count("id"), sat=Sum("satisfied"), known=Sum("known")
    )
    return {tuple(r[k] for k in keys): _cell(r) for r in rows}


def _population(wave_ids: Iterable[int]) -> dict[tuple, int]:
    """{(wave, compound, band): N} from the quotas drawn when waves opened."""
    rows = Quota.objects.filter(wave_id__in=list(wave_ids)).values_list(
        "wave_id", "compound_id", "age_band", "population"
    )
    return {(w, c, b): n for w, c, b, n in rows}


def _pick(cells: dict, population: dict, *, where) -> Estimate:
    """Estimate over the cells whose key passes `where`; keys end (compound, band)."""
    chosen = {k: c for k, c in cells.items() if where(k)}
    return estimate(
        {k[-2:]: c for k, c in chosen.items()},
        {k[-2:]: population.get(k, 0) for k in chosen},
    )


# --- the selector of the indicator sheet -------------------------------------


@dataclass(frozen=True)
class CommunitySatisfaction:
    """The latest closed wave's 综合满意度 of one community (circle)."""

    rate: float | None
    low: float | None
    high: float | None
    responses: int
    wave_name: str
    closed_at: dt.datetime | None
    previous_rate: float | None


def _closed_waves_by_community(community_ids) -> dict[int, list[tuple]]:
    """{community: [(closed_at, wave id, name), …] newest first}: closed waves only."""
    through = Wave.communities.through
    rows = through.objects.filter(
        community_id__in=community_ids, wave__state=WaveState.CLOSED
    ).values_list("community_id", "wave_id", "wave__name", "wave__closed_at")
    waves: dict[int, list[tuple]] = defaultdict(list)
    for community_id, wave_id, name, closed_at in rows:
        waves[community_id].append((closed_at, wave_id, name))
    for items in waves.values():
        items.sort(reverse=True)
    return waves


def satisfaction_by_community(community_ids) -> dict[int, CommunitySatisfaction]:
    """Return each community's 综合满意度 from its latest closed wave.

    Every id asked for gets an entry; a community without a closed wave has
    `rate=None`, `responses=0`, `wave_name=""`. `previous_rate` is the
    community's closed wave before the latest. Three queries in all.
    """
    ids = list(community_ids)
    waves = _closed_waves_by_community(ids)
    needed = {(cid, w[1]) for cid, items in waves.items() for w in items[:2]}
    wave_ids = {w for _, w in needed}
    cells = _response_cells(
        Response.objects.filter(
            wave_id__in=wave_ids, community_id__in=ids, verified=True
        ),
        "wave_id",
        "community_id",
        "compound_id",
        "age_band",
    )
    by_wave_community: dict[tuple, dict] = defaultdict(dict)
    for (w, cid, comp, band), cell in cells.items():
        by_wave_community[(w, cid)][(comp, band)] = cell
    pops = _population(wave_ids)

    def figure(cid: int, wave_id: int) -> Estimate:
        cs = by_wave_community.get((wave_id, cid), {})
        return estimate(cs, {k: pops.get((wave_id, *k), 0) for k in cs})

    out = {}
    for cid in ids:
        items = waves.get(cid, [])
        if not items:
            out[cid] = CommunitySatisfaction(None, None, None, 0, "", None, None)
            continue
        closed_at, wave_id, name = items[0]
        latest = figure(cid, wave_id)
        previous = figure(cid, items[1][1]).rate if len(items) > 1 else None
        out[cid] = CommunitySatisfaction(
            rate=latest.rate,
            low=latest.low,
            high=latest.high,
            responses=latest.responses,
            wave_name=name,
            closed_at=closed_at,
            previous_rate=previous,
        )
    return out


# --- the district roll-up ---------------------------------------------------


@dataclass(frozen=True)
class DistrictRow:
    community: Community
    satisfaction: CommunitySatisfaction


@dataclass(frozen=True)
class DistrictResults:
    district: District
    overall: Estimate
    rows: list[DistrictRow]
    meeting_target: int
    measured: int


def district_results(district: District) -> DistrictResults:
    """Return every community's latest figure and the district's pooled figure.

    The district figure pools each community's latest closed wave, weighted by
    the register population of every cell (a community then counts with its
    population). Rows are ranked by rate (unmeasured last).
    """
    communities = list(
        Community.objects.filter(street_office__district=district).order_by("id")
    )
    ids = [c.pk for c in communities]
    figures = satisfaction_by_community(ids)
    waves = _closed_waves_by_community(ids)
    latest = {cid: items[0][1] for cid, items in waves.items()}
    q = Q(pk__in=[])
    for cid, wave_id in latest.items():
        q |= Q(community_id=cid, wave_id=wave_id)
    cells = _response_cells(
        Response.objects.filter(q, verified=True),
        "wave_id",
        "compound_id",
        "age_band",
    )
    population = _population(set(latest.values()))
    overall = estimate(cells, {k: population.get(k, 0) for k in cells})
    rows = [DistrictRow(c, figures[c.pk]) for c in communities]
    rows.sort(key=lambda r: (r.satisfaction.rate is None, -(r.satisfaction.rate or 0)))
    measured = [r for r in rows if r.satisfaction.rate is not None]
    return DistrictResults(
        district=district,
        overall=overall,
        rows=rows,
        meeting_target=sum(1 for r in measured if r.satisfaction.rate >= TARGET),
        measured=len(measured),
    )


# --- one circle's results in one wave ------------------------------------------


@dataclass(frozen=True)
class Labelled:
    key: str
    label: str
    estimate: Estimate


@dataclass(frozen=True)
class TrendPoint:
    wave: Wave
    estimate: Estimate


@dataclass(frozen=True)
class CommentGroup:
    keyword: str
    count: int
    examples: list[str]


@dataclass
class CircleResults:
    wave: Wave
    community: Community
    overall: Estimate
    dimensions: list[Labelled]
    compounds: list[Labelled]
    age_bands: list[Labelled]
    unverified: Estimate
    by_source: dict[str, int | None]
    trend: list[TrendPoint]
    comments: list[CommentGroup] = field(default_factory=list)
    comments_hidden: bool = False

    @property
    def verified_responses(self) -> int:
        return self.overall.responses


def get_circle_results(*, wave: Wave, community: Community) -> CircleResults:
    """Return one community's results in `wave` (the caller checked access)."""
    mine = Response.objects.filter(wave=wave, community=community)
    cells = _response_cells(mine.filter(verified=True), "compound_id", "age_band")
    population = {(c, b): n for (_, c, b), n in _population([wave.pk]).items()}
    overall = estimate(cells, {k: population.get(k, 0) for k in cells})
    compounds = [
        Labelled(
            str(c.pk),
            c.name,
            _pick(cells, population, where=lambda k, pk=c.pk: k[0] == pk),
        )
        for c in community.compounds.order_by("name")
    ]
    bands = [
        Labelled(
            band,
            str(label),
            _pick(cells, population, where=lambda k, b=band: k[1] == b),
        )
        for band, label in AgeBand.choices
    ]
    unverified_cells = _response_cells(mine.filter(verified=False), "wave_id")
    unverified = estimate(unverified_cells, {})
    sources = dict(
        mine.values_list("source").annotate(n=Count("id")).values_list("source", "n")
    )
    by_source = {
        s: (sources.get(s, 0) if sources.get(s, 0) >= MIN_CELL else None)
        for s in Source.values
    }
    results = CircleResults(
        wave=wave,
        community=community,
        overall=overall,
        dimensions=_dimensions(wave, community, population),
        compounds=compounds,
        age_bands=bands,
        unverified=unverified,
        by_source=by_source,
        trend=get_trend(community=community),
    )
    groups = _comment_groups(mine) if mine.count() >= MIN_CELL else []
    results.comments = groups
    results.comments_hidden = mine.count() < MIN_CELL
    return results


def _dimensions(wave: Wave, community: Community, population: dict) -> list[Labelled]:
    rows = (
        Answer.objects.filter(
            response__wave=wave,
            response__community=community,
            response__verified=True,
            value__gt=0,
        )
        .values("dimension", "response__compound_id", "response__age_band")
        .annotate(
            n=Count("response_id", distinct=True),
            sat=Count("id", filter=Q(value__gte=SATISFIED_FROM)),
            known=Count("id"),
        )
    )
    per_dim: dict[str, dict] = defaultdict(dict)
    for r in rows:
        key = (r["response__compound_id"], r["response__age_band"])
        per_dim[r["dimension"]][key] = _cell(r)
    return [
        Labelled(
            dim,
            str(label),
            estimate(
                per_dim.get(dim, {}),
                {k: population.get(k, 0) for k in per_dim.get(dim, {})},
            ),
        )
        for dim, label in Dimension.choices
    ]


def get_trend(*, community: Community) -> list[TrendPoint]:
    """Return the community's figure in each opened wave, oldest first."""
    waves = list(
        Wave.objects.filter(communities=community)
        .exclude(state=WaveState.DRAFT)
        .order_by("opened_at", "id")
    )
    ids = [w.pk for w in waves]
    cells = _response_cells(
        Response.objects.filter(wave_id__in=ids, community=community, verified=True),
        "wave_id",
        "compound_id",
        "age_band",
    )
    population = _population(ids)
    return [
        TrendPoint(w, _pick(cells, population, where=lambda k, pk=w.pk: k[0] == pk))
        for w in waves
    ]


# Words residents use in every kind of remark: never a group of their own.
_NOT_A_TOPIC = frozenset(
    "希望 建议 一点 一些 还有 比较 非常 感觉 觉得 可以 不错 没有 方便 不方便"
    " 社区 小区".split()
)


def _comment_groups(responses, *, groups: int = 6, examples: int = 3):
    """Group the free-text answers by their leading jieba keywords.

    The keywords are the TF-IDF top words of the latest 2,000 comments (less
    words any remark uses, `_NOT_A_TOPIC`); each comment joins the group of
    the first keyword it contains, else 其他. Examples are distinct texts.
    """
    import jieba.analyse

    texts = list(
        responses.exclude(comment="")
        .order_by("-id")
        .values_list("comment", flat=True)[:2000]
    )
    if not texts:
        return []
    candidates = jieba.analyse.extract_tags(" ".join(texts), topK=groups + 10)
    keywords = [k for k in candidates if k not in _NOT_A_TOPIC][:groups]
    buckets: dict[str, list[str]] = {k: [] for k in [*keywords, "其他"]}
    for text in texts:
        home = next((k for k in keywords if k in text), "其他")
        buckets[home].append(text)
    out = [
        CommentGroup(k, len(v), sorted(dict.fromkeys(v), key=len)[:examples])
        for k, v in buckets.items()
        if v
    ]
    out.sort(key=lambda g: (g.keyword == "其他", -g.count))
    return out


# --- progress against quotas --------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    compound_id: int
    compound: str
    community: str
    cells: list[tuple[str, int, int]]  # (band, responses, target)
    responses: int
    target: int


def get_progress(*, wave: Wave, community_ids: Iterable[int]) -> list[ProgressRow]:
    """Return responses against quotas per compound and age band (counts only)."""
    ids = list(community_ids)
    quotas = (
        Quota.objects.filter(wave=wave, compound__community_id__in=ids)
        .select_related("compound__community")
        .order_by("compound__community_id", "compound__name", "age_band")
    )
    counts = {
        (r["compound_id"], r["age_band"]): r["n"]
        for r in Response.objects.filter(wave=wave, community_id__in=ids)
        .values("compound_id", "age_band")
        .annotate(n=Count("id"))
    }
    rows: dict[int, dict] = {}
    for q in quotas:
        row = rows.setdefault(
            q.compound_id,
            {
                "compound": q.compound.name,
                "community": q.compound.community.name,
                "cells": {},
            },
        )
        row["cells"][q.age_band] = (
            counts.get((q.compound_id, q.age_band), 0),
            q.target,
        )
    out = []
    for compound_id, row in rows.items():
        cells = [(b, *row["cells"].get(b, (0, 0))) for b in AgeBand.values]
        out.append(
            ProgressRow(
                compound_id=compound_id,
                compound=row["compound"],
                community=row["community"],
                cells=cells,
                responses=sum(c[1] for c in cells),
                target=sum(c[2] for c in cells),
            )
        )
    return out
