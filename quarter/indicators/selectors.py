"""Indicator sheets: every circle's figures at once.

A circle is a community and the 15-minute walking area of its compounds. The
figures come from what quarter.coverage stores (one array per community and
type of the metres from each compound to the nearest open shop of that type,
`coverage.reach_store`; the approved merchants of the community) and are the
same as the community's gap report (`coverage.selectors.build_gap_report`),
but a handful of queries answer them for any number of circles: the rows read
into Python grow with circles × types (outlet counts and reach arrays) and
compounds (their households), never with compound × type pairs or merchants;
the counting is numpy over the arrays.

Public selectors take `actor` and check it in indicators/access.py;
`build_sheets` is for trusted callers (the bench, tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from quarter.coverage import engine as eng
from quarter.coverage import reach_store
from quarter.coverage.models import CoverageRun
from quarter.coverage.selectors import GROUPINGS, get_speed
from quarter.indicators import access, bar
from quarter.indicators import satisfaction as satisfaction_source
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    District,
    Merchant,
    Tier,
)


@dataclass
class TypeFigure:
    business_type: BusinessType
    outlets: int
    households_covered: int
    share_covered: float


@dataclass
class GroupingStatus:
    name: str
    type_names: list[list[str]]
    households_met: int
    share: float
    met: bool


@dataclass
class Satisfaction:
    """The latest closed wave of the circle's satisfaction survey, if any."""

    measured: bool = False
    rate: float | None = None
    low: float | None = None
    high: float | None = None
    responses: int = 0
    wave_name: str = ""
    closed_at: dt.datetime | None = None
    previous_rate: float | None = None

    @property
    def change(self) -> float | None:
        if self.rate is None or self.previous_rate is None:
            return None
        return self.rate - self.previous_rate

    @property
    def too_few(self) -> bool:
        """Measured, but with fewer than 5 responses: no figure is shown."""
        return self.measured and self.rate is None


@dataclass
class CircleSheet:
    community: Community
    computed_at: dt.datetime | None
    households: int
    compounds: int
    types: list[TypeFigure]
    tier_outlets: dict[str, int]
    outlets_total: int
    chain_outlets: int
    basic_types_total: int
    median_basic_types: int
    households_all_basic: int
    groupings: list[GroupingStatus]
    satisfaction: Satisfaction
    score: float = 0.0
    status: str = bar.GAP
    shortfalls: list[str] = field(default_factory=list)
    rank: int = 0

    @property
    def computed(self) -> bool:
        return self.computed_at is not None

    @property
    def chain_share(self) -> float:
        return _share(self.chain_outlets, self.outlets_total)

    @property
    def outlets_per_100_households(self) -> float:
        return 100 * _share(self.outlets_total, self.households)

    @property
    def completeness_median(self) -> float:
        """业态齐全度: share of the basic types the median household reaches."""
        return _share(self.median_basic_types, self.basic_types_total)

    @property
    def share_all_basic(self) -> float:
        return _share(self.households_all_basic, self.households)

    @property
    def groupings_met(self) -> int:
        return sum(1 for g in self.groupings if g.met)

    @property
    def missing_basic(self) -> list[BusinessType]:
        """Basic types some household of the circle lacks within 15 minutes."""
        return [
            t.business_type
            for t in self.types
            if t.business_type.tier == Tier.BASIC
            and (t.households_covered < self.households or not self.households)
        ]

    @property
    def status_label(self) -> str:
        return str(bar.STATUS_LABELS[self.status])


@dataclass
class DistrictSheet:
    district: District
    sheets: list[CircleSheet]

    def _count(self, status: str) -> int:
        return sum(1 for s in self.sheets if s.status == status)

    @property
    def done(self) -> int:
        return self._count(bar.DONE)

    @property
    def close(self) -> int:
        return self._count(bar.CLOSE)

    @property
    def gap(self) -> int:
        return self._count(bar.GAP)

    @property
    def households(self) -> int:
        return sum(s.households for s in self.sheets)

    @property
    def outlets_total(self) -> int:
        return sum(s.outlets_total for s in self.sheets)

    @property
    def chain_share(self) -> float:
        return _share(sum(s.chain_outlets for s in self.sheets), self.outlets_total)

    @property
    def share_all_basic(self) -> float:
        return _share(sum(s.households_all_basic for s in self.sheets), self.households)

    @property
    def measured(self) -> int:
        return sum(1 for s in self.sheets if s.satisfaction.rate is not None)

    @property
    def largest_gaps(self) -> list[CircleSheet]:
        """The three circles furthest from the bar, furthest first."""
        behind = [s for s in self.sheets if s.status != bar.DONE]
        return sorted(behind, key=lambda s: (s.score, s.community.pk))[:3]


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


# --- public selectors --------------------------------------------------------


def district_sheet(*, actor, district: District) -> DistrictSheet:
    """Every circle of `district` that `actor` may see, ranked against the bar.

    Raises `not_district_planner`.
    """
    communities = access.district_communities(actor, district)
    return DistrictSheet(
        district=district,
        sheets=rank(build_sheets(communities)),
    )


def circle_sheet(*, actor, community: Community) -> CircleSheet:
    """One circle's sheet. Raises `not_circle_viewer`."""
    access.require_circle_viewer(actor, community)
    return build_sheets(Community.objects.filter(pk=community.pk))[0]


def rank(sheets: list[CircleSheet]) -> list[CircleSheet]:
    """Order circles nearest the bar first (done, then by score) and number them."""
    order = {bar.DONE: 0, bar.CLOSE: 1, bar.GAP: 2}
    sheets.sort(key=lambda s: (order[s.status], -s.score, s.community.pk))
    for i, sheet in enumerate(sheets, start=1):
        sheet.rank = i
    return sheets


# --- the aggregates ----------------------------------------------------------


def build_sheets(
    communities: QuerySet[Community], *, profile: str = "standard"
) -> list[CircleSheet]:
    """Build the sheet of every community in `communities` (no permission check)."""
    limit = (eng.TARGET_MIN + 1e-9) * 60 * get_speed(profile)
    # Basic, then quality, then public services (the catalogue's own order within).
    tiers = [Tier.BASIC, Tier.QUALITY, Tier.PUBLIC]
    types = sorted(BusinessType.objects.all(), key=lambda t: tiers.index(t.tier))
    basic_ids = [t.id for t in types if t.tier == Tier.BASIC]
    by_code = {t.code: t for t in types}
    groupings = _grouping_needs(by_code)

    circles = list(communities.order_by("id").select_related("street_office__district"))
    selected = Community.objects.filter(pk__in=communities.values("pk"))
    outlets = _outlets(selected)
    households, covered = _reach(selected, limit, basic_ids, groupings)
    runs = dict(
        CoverageRun.objects.filter(community__in=selected).values_list(
            "community_id", "computed_at"
        )
    )
    measured = satisfaction_source.satisfaction_by_community(c.pk for c in circles)

    sheets = []
    for community in circles:
        per_type = outlets.get(community.pk, {})
        hh = households.get(community.pk, _HouseholdFigures())
        tier_outlets = {t.value: 0 for t in Tier}
        figures = []
        for bt in types:
            n, _chains = per_type.get(bt.id, (0, 0))
            tier_outlets[bt.tier] += n
            got = covered.get((community.pk, bt.id), 0)
            figures.append(TypeFigure(bt, n, got, _share(got, hh.total)))
        sheet = CircleSheet(
            community=community,
            computed_at=runs.get(community.pk),
            households=hh.total,
            compounds=hh.compounds,
            types=figures,
            tier_outlets=tier_outlets,
            outlets_total=sum(n for n, _ in per_type.values()),
            chain_outlets=sum(c for _, c in per_type.values()),
            basic_types_total=len(basic_ids),
            median_basic_types=hh.median_types(),
            households_all_basic=hh.by_types.get(len(basic_ids), 0)
            if basic_ids
            else hh.total,
            groupings=[
                GroupingStatus(
                    name=name,
                    type_names=[[t.name_zh for t in need] for need in needs],
                    households_met=hh.groupings.get(name, 0),
                    share=_share(hh.groupings.get(name, 0), hh.total),
                    met=hh.total > 0 and hh.groupings.get(name, 0) == hh.total,
                )
                for name, needs in groupings.items()
            ],
            satisfaction=_satisfaction(measured.get(community.pk)),
        )
        _judge(sheet)
        sheets.append(sheet)
    return sheets


def _grouping_needs(by_code) -> dict[str, list[list[BusinessType]]]:
    """The four pairs as business types, leaving out codes the catalogue lacks."""
    out = {}
    for name, needs in GROUPINGS.items():
        kept = [[by_code[c] for c in need if c in by_code] for need in needs]
        out[name] = [need for need in kept if need]
    return out


def _outlets(communities) -> dict[int, dict[int, tuple[int, int]]]:
    """{community: {type: (approved outlets, of which chains)}}."""
    rows = (
        Merchant.objects.filter(community__in=communities, admission=Admission.APPROVED)
        .values("community_id", "main_type_id")
        .annotate(n=Count("id"), chains=Count("id", filter=Q(is_chain=True)))
        .order_by()
    )
    out: dict[int, dict[int, tuple[int, int]]] = {}
    for r in rows:
        out.setdefault(r["community_id"], {})[r["main_type_id"]] = (
            r["n"],
            r["chains"],
        )
    return out


@dataclass
class _HouseholdFigures:
    total: int = 0
    compounds: int = 0
    # households by the number of basic types they reach within 15 minutes
    by_types: dict[int, int] = field(default_factory=dict)
    groupings: dict[str, int] = field(default_factory=dict)

    def median_types(self) -> int:
        """Basic types reached by the median household (the lower median)."""
        seen = 0
        for n in sorted(self.by_types):
            seen += self.by_types[n]
            if 2 * seen >= self.total:
                return n
        return 0


def _reach(communities, limit, basic_ids, groupings):
    """Households per community: by basic types reached and by pairs met, and
    per (community, type) the households reaching it within `limit` metres.

    Reads the stored reach (one distance array per community and type, see
    `coverage.reach_store`) and the compounds' households in two queries, and
    counts with numpy; no row per compound × type is ever built.
    """
    compounds: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    rows = (
        Compound.objects.filter(community__in=communities)
        .order_by("community_id", "id")
        .values_list("community_id", "id", "households")
    )
    grouped: dict[int, list[tuple[int, int]]] = {}
    for community_id, pk, hh in rows:
        grouped.setdefault(community_id, []).append((pk, hh))
    for community_id, pairs in grouped.items():
        ids = np.array([p for p, _ in pairs], dtype=np.int64)
        compounds[community_id] = (ids, np.array([h for _, h in pairs], np.int64))
    arrays = reach_store.arrays_of_many([c for c in compounds])
    names = list(groupings)
    figures: dict[int, _HouseholdFigures] = {}
    covered: dict[tuple[int, int], int] = {}
    for community_id, (ids, households) in compounds.items():
        within = {}  # type id -> bool per compound (in `ids` order)
        for type_id, (reach_ids, metres) in arrays.get(community_id, {}).items():
            near = np.zeros(len(ids), dtype=bool)
            position = np.searchsorted(ids, reach_ids)
            inside = (position < len(ids)) & (
                ids[np.minimum(position, len(ids) - 1)] == reach_ids
            )
            ok = np.nan_to_num(metres, nan=np.inf) <= limit
            near[position[inside & ok]] = True
            within[type_id] = near
            covered[(community_id, type_id)] = int(households[near].sum())
        none = np.zeros(len(ids), dtype=bool)
        n_basic = sum(
            (within.get(t, none).astype(np.int64) for t in basic_ids),
            np.zeros(len(ids), np.int64),
        )
        fig = _HouseholdFigures(total=int(households.sum()), compounds=len(ids))
        for n in np.unique(n_basic):
            fig.by_types[int(n)] = int(households[n_basic == n].sum())
        for name in names:
            met = np.ones(len(ids), dtype=bool)
            for need in groupings[name]:
                any_of = np.zeros(len(ids), dtype=bool)
                for t in need:
                    any_of |= within.get(t.id, none)
                met &= any_of
            fig.groupings[name] = int(households[met].sum())
        figures[community_id] = fig
    return figures, covered


def _satisfaction(found) -> Satisfaction:
    # The survey app answers every circle asked for; one without a closed
    # wave has no wave name: not measured yet.
    if found is None or not found.wave_name:
        return Satisfaction()
    return Satisfaction(
        measured=True,
        rate=found.rate,
        low=found.low,
        high=found.high,
        responses=found.responses,
        wave_name=found.wave_name,
        closed_at=found.closed_at,
        previous_rate=found.previous_rate,
    )


# The shortfall names at most this many missing types, then counts the rest.
SHOWN_TYPES = 4


def _judge(sheet: CircleSheet) -> None:
    """Score the circle against the bar and say, in words, what it still lacks."""
    sep = pgettext("list separator", "、")
    rate = sheet.satisfaction.rate
    sheet.score = bar.score(
        sheet.share_all_basic, sheet.groupings_met, len(sheet.groupings), rate
    )
    short = []
    if not sheet.computed:
        short.append(_("尚未计算步行覆盖"))
    elif not sheet.households:
        short.append(_("尚未录入小区"))
    missing = sheet.missing_basic
    if missing and sheet.households:
        names = sep.join(t.name_zh for t in missing[:SHOWN_TYPES])
        if len(missing) > SHOWN_TYPES:
            names = _("%(names)s等%(n)s类") % {"names": names, "n": len(missing)}
        short.append(_("基本保障类缺:%(types)s") % {"types": names})
    unmet = [_(g.name) for g in sheet.groupings if not g.met]
    if unmet:
        short.append(_("“四个一”未达标:%(names)s") % {"names": sep.join(unmet)})
    low_satisfaction = rate is not None and rate < bar.SATISFACTION_BAR
    if low_satisfaction:
        short.append(_("满意度 %(rate)s 低于 90%%") % {"rate": f"{rate:.0%}"})
    sheet.shortfalls = short
    sheet.status = bar.status(
        computed=sheet.computed,
        households=sheet.households,
        all_met=not missing and not unmet and not low_satisfaction,
        value=sheet.score,
    )
