"""The gap report as tables: CSV, XLSX and the figures the dashboard charts draw."""

from __future__ import annotations

import csv
import io

from quarter.coverage.selectors import GapReport

TIER_NAMES = {"basic": "基本保障类", "quality": "品质提升类", "public": "公共服务类"}


def _minutes_text(minutes: float | None) -> str:
    return "" if minutes is None else f"{minutes:.1f}"


def compound_table(report: GapReport) -> list[list]:
    """One row per compound: households, walking minutes to each basic type, gaps."""
    basic = report.basic_types
    header = [
        "小区",
        "户数",
        "基本保障类全部15分钟可达",
        "缺少的基本保障类",
        "缺少的品质提升类",
    ] + [f"{t.name_zh}(分钟)" for t in basic]
    if report.estimated:
        header.append("说明")
    rows = [header]
    for r in report.compounds:
        row = [
            r.name,
            r.households,
            "是" if r.all_basic else "否",
            "、".join(t.name_zh for t in r.missing_basic),
            "、".join(t.name_zh for t in r.missing_quality),
        ]
        row += [_minutes_text(r.reach[t.code].minutes) for t in basic]
        if report.estimated:
            row.append("估算(直线距离×1.3)")
        rows.append(row)
    return rows


def type_table(report: GapReport) -> list[list]:
    """One row per business type: tier, shop count, households within 15 minutes."""
    rows = [["业态", "类别", "商户数", "15分钟内覆盖户数", "覆盖率"]]
    for t in report.type_counts:
        rows.append(
            [
                t.business_type.name_zh,
                TIER_NAMES[t.business_type.tier],
                t.count,
                t.households_covered,
                f"{t.share_covered:.0%}",
            ]
        )
    return rows


def summary_table(report: GapReport) -> list[list]:
    return [
        ["社区", report.community.name],
        ["步行速度", f"{report.speed} 米/秒"],
        [
            "计算方式",
            "估算(直线距离×1.3)"
            if report.estimated
            else f"步行路网:{report.network_name}",
        ],
        ["基本保障类商户", report.tier_counts["basic"]],
        ["品质提升类商户", report.tier_counts["quality"]],
        ["公共服务类", report.tier_counts["public"]],
        ["连锁品牌占比", f"{report.chain_share:.0%}"],
        ["总户数", report.households_total],
        ["基本保障类15分钟全覆盖户数占比", f"{report.share_all_basic:.0%}"],
    ] + [
        [f"{g.name}", f"{'达标' if g.met else '未达标'}({g.share:.0%}户)"]
        for g in report.groupings
    ]


def gap_report_csv(report: GapReport) -> bytes:
    """CSV with a BOM so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for table in (summary_table(report), compound_table(report), type_table(report)):
        writer.writerows(table)
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def gap_report_xlsx(report: GapReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheets = [
        ("概况", summary_table(report)),
        ("小区缺口", compound_table(report)),
        ("业态统计", type_table(report)),
    ]
    for i, (title, rows) in enumerate(sheets):
        sheet = book.active if i == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
        if title != "概况":
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
            "labels": [TIER_NAMES[k] for k in report.tier_counts],
            "values": list(report.tier_counts.values()),
        },
        "types": {
            "labels": [t.business_type.name_zh for t in types],
            "counts": [t.count for t in types],
            "coverage": [round(t.share_covered * 100) for t in types],
            "tiers": [t.business_type.tier for t in types],
        },
    }
