"""Read a community roster file (CSV or XLSX) into plain rows, in memory only.

The columns are found by their header: 姓名, 身份证号, 小区, 门牌 (English
`name`, `id_number`, `compound`, `address` are accepted too). CSV may be
UTF-8 (with or without BOM) or GB18030, as Excel in China saves it. Nothing is
written to disk: the bytes are read from the upload and dropped.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from quarter.core.errors import DomainError
from quarter.people.errors import PeopleErrorCode as Code

HEADERS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "id_number", "id"),
    "compound": ("小区", "所在小区", "compound"),
    "address": ("门牌", "门牌号", "住址", "address"),
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    id_number: str
    compound: str
    address: str


def size_label(limit: int) -> str:
    """Return a byte limit as a person reads it: '5MB', '800KB'."""
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)}MB"
    return f"{max(limit // 1024, 1)}KB"


def too_large(limit: int) -> DomainError:
    return DomainError(
        Code.REGISTER_FILE_TOO_LARGE, f"文件不能超过{size_label(limit)}", field="file"
    )


def _invalid(message: str) -> DomainError:
    return DomainError(Code.REGISTER_FILE_INVALID, message, field="file")


def read_roster(
    data: bytes, *, filename: str, max_bytes: int, max_rows: int
) -> list[RosterRow]:
    """Return the rows of a roster file; raise `register_file_*` if unusable."""
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    if not data:
        raise _invalid("文件是空的")
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif lower.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise _invalid("只支持 CSV 或 Excel(.xlsx)文件")
    return _rows(table, max_rows=max_rows)


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04"):
        raise _invalid("文件内容不是 CSV,请检查扩展名")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise _invalid("无法识别文件编码,请另存为 UTF-8 CSV")
    if "\x00" in text:
        raise _invalid("文件内容不是文本 CSV")
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    if not data.startswith(b"PK\x03\x04"):
        raise _invalid("文件内容不是 Excel(.xlsx)")
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _invalid("无法读取该 Excel 文件") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) >= 1e14:
            # An ID number typed as a number: Excel keeps only 15 digits.
            return "#NUMBER"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return str(value).strip()


def _rows(table: list[list[str]], *, max_rows: int) -> list[RosterRow]:
    header_at = next(
        (i for i, row in enumerate(table) if any(c.strip() for c in row)), None
    )
    if header_at is None:
        raise _invalid("文件中没有数据")
    header = [c.strip().lower() for c in table[header_at]]
    columns = {}
    for key, names in HEADERS.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is None:
            raise _invalid(f"缺少“{names[0]}”列;表头应为:姓名、身份证号、小区、门牌")
        columns[key] = found
    rows = []
    for offset, raw in enumerate(table[header_at + 1 :], start=header_at + 2):
        if not any(c.strip() for c in raw):
            continue
        cells = {
            key: (raw[i].strip() if i < len(raw) else "") for key, i in columns.items()
        }
        rows.append(RosterRow(line=offset, **cells))
        if len(rows) > max_rows:
            raise _invalid(f"一次最多导入{max_rows}行,请分批导入")
    if not rows:
        raise _invalid("文件中只有表头,没有居民")
    return rows
