"""The gap report as tables: CSV, XLSX and the figures the dashboard charts draw."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from quarter.core.downloads import csv_writer, xlsx_append
from quarter.coverage.selectors import GapReport

TIER_NAMES = {
    "basic": gettext_lazy("基本保障类"),
    "quality": gettext_lazy("品质提升类"),
    "public": gettext_lazy("公共服务类"),
}


def _minutes_text(minutes: float | None) -> str:
    return "" if minutes is None else f"{minutes:.1f}"


def compound_table(report: GapReport) -> list[list]:
    """One row per compound: households, walking minutes to each basic type, gaps."""
    basic = report.basic_types
    header = [
        _("小区"),
        _("户数"),
        _("基本保障类全部15分钟可达"),
        _("缺少的基本保障类"),
        _("缺少的品质提升类"),
    ] + [_("%(type)s(分钟)") % {"type": t.name_zh} for t in basic]
    if report.estimated:
        header.append(_("说明"))
    sep = pgettext("list separator", "、")
    rows = [header]
    for r in report.compounds:
        row = [
            r.name,
            r.households,
            _("是") if r.all_basic else _("否"),
            sep.join(t.name_zh for t in r.missing_basic),
            sep.join(t.name_zh for t in r.missing_quality),
        ]
        row += [_minutes_text(r.reach[t.code].minutes) for t in basic]
        if report.estimated:
            row.append(_("估算(直线距离×1.3)"))
        rows.append(row)
    return rows


def type_table(report: GapReport) -> list[list]:
    """One row per business type: tier, shop count, households within 15 minutes."""
    rows = [[_("业态"), _("类别"), _("商户数"), _("15分钟内覆盖户数"), _("覆盖率")]]
    for t in report.type_counts:
        rows.append(
            [
                t.business_type.name_zh,
                str(TIER_NAMES[t.business_type.tier]),
                t.count,
                t.households_covered,
                f"{t.share_covered:.0%}",
            ]
        )
    return rows


def summary_table(report: GapReport) -> list[list]:
    return [
        [_("社区"), report.community.name],
        [_("步行速度"), _("%(speed)s 米/秒") % {"speed": report.speed}],
        [
            _("计算方式"),
            _("估算(直线距离×1.3)")
            if report.estimated
            else _("步行路网:%(name)s") % {"name": report.network_name},
        ],
        [_("基本保障类商户"), report.tier_counts["basic"]],
        [_("品质提升类商户"), report.tier_counts["quality"]],
        [_("公共服务类"), report.tier_counts["public"]],
        [_("连锁品牌占比"), f"{report.chain_share:.0%}"],
        [_("总户数"), report.households_total],
        [_("基本保障类15分钟全覆盖户数占比"), f"{report.share_all_basic:.0%}"],
    ] + [
        [
            _(g.name),  # msgid marked in views._DISPLAY_MSGIDS
            (_("达标(%(share)s户)") if g.met else _("未达标(%(share)s户)"))
            % {"share": f"{g.share:.0%}"},
        ]
        for g in report.groupings
    ]


def gap_report_csv(report: GapReport) -> bytes:
    """CSV with a BOM so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for table in (summary_table(report), compound_table(report), type_table(report)):
        writer.writerows(table)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def gap_report_xlsx(report: GapReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [
        (_("概况"), summary_table(report)),
        (_("小区缺口"), compound_table(report)),
        (_("业态统计"), type_table(report)),
    ]
    for i, (title, rows) in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            xlsx_append(sheet, row)
        if i != 0:  # every sheet but the summary has a header row
            for cell in sheet[1]:
                cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 28
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def chart_data(report: GapReport) -> dict:
    """Figures for the dashboard's charts (rendered with json_script)."""
    types = [t for t in report.type_counts if t.business_type.tier != "public"]
    return {
        "tiers": {
            "labels": [str(TIER_NAMES[k]) for k in report.tier_counts],
            "values": list(report.tier_counts.values()),
        },
        "types": {
            "labels": [t.business_type.name_zh for t in types],
            "counts": [t.count for t in types],
            "coverage": [round(t.share_covered * 100) for t in types],
            "tiers": [t.business_type.tier for t in types],
        },
    }


# --- a district's communities ---


def district_table(report) -> list[list]:
    """One row per community, best covered first."""
    sep = pgettext("list separator", "、")
    rows = [
        [
            _("排名"),
            _("社区"),
            _("街道"),
            _("总户数"),
            _("基本保障类15分钟全覆盖户数占比"),
            _("“四个一”达标项"),
            _("连锁品牌占比"),
            _("商户数"),
            _("尚未全覆盖的基本保障类"),
        ]
    ]
    for r in report.rows:
        rows.append(
            [
                r.rank,
                r.community.name,
                r.community.street_office.name,
                r.report.households_total,
                f"{r.report.share_all_basic:.0%}",
                f"{r.groupings_met}/{len(r.report.groupings)}",
                f"{r.report.chain_share:.0%}",
                r.report.merchants_total,
                sep.join(r.missing_basic),
            ]
        )
    return rows


def district_csv(report) -> bytes:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(district_table(report))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def district_xlsx(report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("社区排名")
    for row in district_table(report):
        xlsx_append(sheet, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def district_map_data(report) -> list[dict]:
    """Community centres and shares for the district map (rendered with json_script)."""
    return [
        {
            "name": r.community.name,
            "lat": r.community.center_lat,
            "lng": r.community.center_lng,
            "share": round(r.report.share_all_basic * 100),
            "rank": r.rank,
            "households": r.report.households_total,
        }
        for r in report.rows
    ]
