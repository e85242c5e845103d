"""The district's indicator sheets as a workbook a bureau files upward.

One summary sheet for the district (a title, the date, one row per circle in
rank order, a district total) and one sheet per circle (its figures, every
business type, the four pairs, satisfaction). Shares are numbers formatted
as percentages, so the bureau can sum and sort them; every text cell passes
through quarter.core.downloads so that nothing runs as a formula.
"""

from __future__ import annotations

import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from quarter.core.downloads import neutralise_row
from quarter.indicators.selectors import CircleSheet, DistrictSheet, Satisfaction

PERCENT = "0.0%"
TIER_NAMES = {"basic": "基本保障类", "quality": "品质提升类", "public": "公共服务类"}
_BAD_TITLE = re.compile(r"[\[\]:*?/\\']")


class Share(float):
    """A value in [0, 1] written as a percentage."""


def _append(ws, row: list, *, bold: bool = False) -> None:
    """Append `row` to a write-only sheet: text neutralised and kept as text,
    shares as numbers formatted as percentages."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for value in neutralise_row(row):
        if not (bold or isinstance(value, Share | str)):
            cells.append(value)
            continue
        cell = WriteOnlyCell(ws, float(value) if isinstance(value, Share) else value)
        if isinstance(value, Share):
            cell.number_format = PERCENT
        elif isinstance(value, str):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)


def satisfaction_text(s: Satisfaction) -> str | float:
    """The satisfaction cell: the rate, or why there is none."""
    if not s.measured:
        return _("尚未测评")
    if s.rate is None:
        return _("样本不足(少于5份)")
    return s.rate


def _sep() -> str:
    return pgettext("list separator", "、")


def summary_header(sheet: DistrictSheet) -> list[str]:
    names = [g.name for g in sheet.sheets[0].groupings] if sheet.sheets else []
    return [
        _("排名"),
        _("社区(生活圈)"),
        _("街道"),
        _("达标情况"),
        _("达标度"),
        _("户数"),
        _("小区数"),
        _("基本保障类网点"),
        _("品质提升类网点"),
        _("网点总数"),
        _("每百户网点数"),
        _("品牌连锁化率"),
        _("业态齐全度(中位住户)"),
        _("基本保障类全覆盖住户占比"),
        *[_(n) for n in names],
        _("综合满意度"),
        _("较上期变化"),
        _("测评批次"),
        _("尚缺"),
        _("覆盖计算时间"),
    ]


def summary_row(s: CircleSheet) -> list:
    sat = s.satisfaction
    return [
        s.rank,
        s.community.name,
        s.community.street_office.name,
        s.status_label,
        Share(s.score),
        s.households,
        s.compounds,
        s.tier_outlets["basic"],
        s.tier_outlets["quality"],
        s.outlets_total,
        round(s.outlets_per_100_households, 1),
        Share(s.chain_share),
        Share(s.completeness_median),
        Share(s.share_all_basic),
        *[_("达标") if g.met else _("未达标") for g in s.groupings],
        satisfaction_text(sat),
        "" if sat.change is None else Share(sat.change),
        sat.wave_name,
        _sep().join(s.shortfalls) or _("无"),
        timezone.localtime(s.computed_at).strftime("%Y-%m-%d %H:%M")
        if s.computed_at
        else _("未计算"),
    ]


def _title(text: str, used: set[str]) -> str:
    title = _BAD_TITLE.sub("-", text)[:31] or "-"
    n = 2
    while title in used:
        suffix = f"({n})"
        title = title[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def district_xlsx(sheet: DistrictSheet) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    summary = book.create_sheet(_title(sheet.district.name, used))
    summary.freeze_panes = "C4"
    summary.column_dimensions["B"].width = 16
    district = f"{sheet.district.city}{sheet.district.name}"
    _append(
        summary,
        [_("%(district)s一刻钟便民生活圈建设指标汇总表") % {"district": district}],
        bold=True,
    )
    _append(
        summary,
        [
            _("统计日期:%(date)s") % {"date": timezone.localdate().isoformat()},
            _("生活圈 %(n)s 个:达标 %(done)s、接近达标 %(close)s、差距较大 %(gap)s")
            % {
                "n": len(sheet.sheets),
                "done": sheet.done,
                "close": sheet.close,
                "gap": sheet.gap,
            },
        ],
    )
    _append(summary, summary_header(sheet), bold=True)
    for s in sheet.sheets:
        _append(summary, summary_row(s))
    _append(
        summary,
        [
            _("全区合计"),
            "",
            "",
            "",
            "",
            sheet.households,
            sum(s.compounds for s in sheet.sheets),
            sum(s.tier_outlets["basic"] for s in sheet.sheets),
            sum(s.tier_outlets["quality"] for s in sheet.sheets),
            sheet.outlets_total,
            round(100 * sheet.outlets_total / sheet.households, 1)
            if sheet.households
            else 0,
            Share(sheet.chain_share),
            "",
            Share(sheet.share_all_basic),
        ],
        bold=True,
    )
    for s in sheet.sheets:
        _circle_sheet(
            book.create_sheet(_title(f"{s.rank}.{s.community.name}", used)), s
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def circle_rows(s: CircleSheet) -> list[list]:
    """The circle's sheet as rows: figures, business types, pairs, satisfaction."""
    sat = s.satisfaction
    rows: list[list] = [
        [_("%(name)s一刻钟便民生活圈指标表") % {"name": s.community.name}],
        [
            _("所属"),
            f"{s.community.street_office.district} {s.community.street_office.name}",
        ],
        [_("达标情况"), s.status_label, _("达标度"), Share(s.score)],
        [_("尚缺"), _sep().join(s.shortfalls) or _("无")],
        [_("户数"), s.households, _("小区数"), s.compounds],
        [
            _("网点总数"),
            s.outlets_total,
            _("每百户网点数"),
            round(s.outlets_per_100_households, 1),
        ],
        [_("品牌连锁化率"), Share(s.chain_share), _("连锁网点"), s.chain_outlets],
        [
            _("业态齐全度(中位住户)"),
            Share(s.completeness_median),
            _("中位住户15分钟可达基本保障类"),
            _("%(n)s / %(total)s 类")
            % {"n": s.median_basic_types, "total": s.basic_types_total},
        ],
        [
            _("基本保障类全覆盖住户占比"),
            Share(s.share_all_basic),
            _("住户"),
            s.households_all_basic,
        ],
        [
            _("综合满意度"),
            satisfaction_text(sat),
            _("较上期变化"),
            "" if sat.change is None else Share(sat.change),
        ],
        [
            _("测评批次"),
            sat.wave_name,
            _("有效样本"),
            sat.responses if sat.measured else "",
        ],
        [],
        [_("“四个一”"), _("达标"), _("覆盖住户"), _("覆盖率")],
    ]
    for g in s.groupings:
        rows.append(
            [_(g.name), _("是") if g.met else _("否"), g.households_met, Share(g.share)]
        )
    rows.append([])
    rows.append([_("业态"), _("类别"), _("网点数"), _("15分钟覆盖住户"), _("覆盖率")])
    for t in s.types:
        rows.append(
            [
                t.business_type.name_zh,
                _(TIER_NAMES[t.business_type.tier]),
                t.outlets,
                t.households_covered,
                Share(t.share_covered),
            ]
        )
    return rows


def _circle_sheet(ws, s: CircleSheet) -> None:
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["C"].width = 24
    for i, row in enumerate(circle_rows(s)):
        _append(ws, row, bold=i == 0)
