"""Spreadsheet cells never run as formulas; download names are chosen by the server."""

from __future__ import annotations

import io

import pytest
from django.http import Http404
from openpyxl import Workbook, load_workbook

from quarter.core import downloads


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","点我")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_neutralise_prefixes_formula_text(value):
    assert downloads.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["阿明理发店", "-12.50", "-3", "45.00", "-5%", "", 7])
def test_neutralise_leaves_plain_text_and_numbers(value):
    assert downloads.neutralise(value) == value


def test_csv_writer_neutralises_every_cell():
    buffer = io.StringIO()
    writer = downloads.csv_writer(buffer)
    writer.writerow(["=1+1", "ok"])
    writer.writerows([["@x", -4, "-4"]])
    assert buffer.getvalue().splitlines() == ["'=1+1,ok", "'@x,-4,-4"]


def test_xlsx_append_stores_text_not_formulas():
    book = Workbook()
    sheet = book.active
    downloads.xlsx_append(sheet, ["=1+1", "+2", 3, "店"])
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.value for c in row] == ["'=1+1", "'+2", 3, "店"]
    assert [c.data_type for c in row] == ["s", "s", "n", "s"]


def test_attachment_fixes_extension_type_and_names():
    response = downloads.attachment(
        b"a,b\r\n",
        kind="csv",
        name='../../etc/passwd"; x=.html',
        display_name='东河社区"\r\n报告/..',
    )
    header = response["Content-Disposition"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert header.startswith('attachment; filename="etc-passwd-x-.html.csv"; ')
    assert header.endswith(
        "filename*=UTF-8''%E4%B8%9C%E6%B2%B3%E7%A4%BE%E5%8C%BA-%E6%8A%A5%E5%91%8A.csv"
    )
    assert header.isascii() and "\r" not in header and "\n" not in header


def test_attachment_refuses_unknown_kind():
    with pytest.raises(Http404):
        downloads.attachment(b"<script>", kind="html", name="x")
