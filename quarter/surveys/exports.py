"""XLSX of a circle's results and of the district roll-up.

Built from the same selectors as the pages, so a group of fewer than
`MIN_CELL` responses is written as "样本不足" with no rate, exactly as the
pages show it. Every row goes through `quarter.core.downloads.xlsx_append`
(text never runs as a formula); file names are chosen by the view.
"""

from __future__ import annotations

import io

from openpyxl import Workbook

from quarter.core.downloads import xlsx_append
from quarter.surveys.access import MIN_CELL
from quarter.surveys.models import Source
from quarter.surveys.selectors import CircleResults, DistrictResults, Estimate

SUPPRESSED = "样本不足"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def estimate_cells(e: Estimate) -> list:
    if e.rate is None:
        return [SUPPRESSED, "", "", f"<{MIN_CELL}" if e.responses < MIN_CELL else ""]
    return [percent(e.rate), percent(e.low), percent(e.high), e.responses]


HEADER = ["", "综合满意度", "95%置信下限", "95%置信上限", "有效样本"]


def circle_xlsx(results: CircleResults) -> bytes:
    """Return the workbook of one community's results in one wave."""
    wb = Workbook()
    ws = wb.active
    ws.title = "满意度"
    xlsx_append(ws, [f"{results.community.name} · {results.wave.name}"])
    xlsx_append(
        ws,
        [
            "口径:4–5分(比较满意、很满意)占1–5分回答的比例,不含“不了解”;"
            "按名册人口(小区×年龄段)加权;目标≥90%"
        ],
    )
    xlsx_append(ws, HEADER)
    xlsx_append(ws, ["总体(在册及纸质)", *estimate_cells(results.overall)])
    xlsx_append(
        ws, ["扫码未核验(单列,不计入总体)", *estimate_cells(results.unverified)]
    )
    for title, rows in (
        ("分维度", results.dimensions),
        ("分小区", results.compounds),
        ("分年龄段", results.age_bands),
    ):
        xlsx_append(ws, [])
        xlsx_append(ws, [title, *HEADER[1:]])
        for row in rows:
            xlsx_append(ws, [row.label, *estimate_cells(row.estimate)])
    xlsx_append(ws, [])
    xlsx_append(ws, ["渠道", "份数"])
    for source, label in Source.choices:
        n = results.by_source.get(source)
        xlsx_append(ws, [str(label), n if n is not None else f"<{MIN_CELL}"])
    xlsx_append(ws, [])
    xlsx_append(ws, ["历次测评", *HEADER[1:]])
    for point in results.trend:
        xlsx_append(ws, [point.wave.name, *estimate_cells(point.estimate)])
    if results.comments:
        sheet = wb.create_sheet("意见建议")
        xlsx_append(sheet, ["关键词", "条数", "示例"])
        for group in results.comments:
            for i, text in enumerate(group.examples):
                xlsx_append(
                    sheet,
                    [
                        group.keyword if i == 0 else "",
                        group.count if i == 0 else "",
                        text,
                    ],
                )
    return _bytes(wb)


def district_xlsx(results: DistrictResults) -> bytes:
    """Return the workbook of a district's circles ranked by 综合满意度."""
    wb = Workbook()
    ws = wb.active
    ws.title = "全区满意度"
    xlsx_append(ws, [f"{results.district} 一刻钟便民生活圈居民满意度"])
    xlsx_append(ws, ["全区(各社区最近一次测评汇总)", *estimate_cells(results.overall)])
    xlsx_append(ws, ["达到90%的社区", f"{results.meeting_target}/{results.measured}"])
    xlsx_append(ws, [])
    xlsx_append(ws, ["社区", *HEADER[1:], "测评", "上次", "变化"])
    for row in results.rows:
        s = row.satisfaction
        e = Estimate(s.rate, s.low, s.high, s.responses)
        change = (
            f"{(s.rate - s.previous_rate) * 100:+.1f}个百分点"
            if s.rate is not None and s.previous_rate is not None
            else ""
        )
        cells = estimate_cells(e) if s.wave_name else ["未测评", "", "", ""]
        xlsx_append(
            ws,
            [row.community.name, *cells, s.wave_name, percent(s.previous_rate), change],
        )
    return _bytes(wb)


def _bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
