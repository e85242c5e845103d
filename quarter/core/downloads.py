"""Downloads: spreadsheet cells that cannot run as formulas, file names we choose.

Every CSV or XLSX the project writes goes through this module:

- `neutralise(value)` makes a text cell that a spreadsheet would read as a formula
  (starting with ``= + - @``, a tab or a carriage return) plain text by putting an
  apostrophe in front of it, as OWASP recommends for CSV injection. Numbers, and
  text that is exactly a number such as ``-12.50``, are left alone.
- `csv_writer(buffer)` and `xlsx_append(sheet, row)` apply it to every cell.
- `attachment(content, kind=..., name=..., display_name=...)` answers a download
  whose extension and content type are fixed by `kind` and whose file name is
  ASCII-safe, with the Chinese name given as RFC 5987 ``filename*``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?%?\Z")
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_DISPLAY = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')

KINDS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def neutralise(value: Any) -> Any:
    """Return `value` so that no spreadsheet evaluates it as a formula."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in row]


class _SafeWriter:
    """A csv.writer whose every cell passes through `neutralise`."""

    def __init__(self, buffer, **kwargs):
        self._writer = csv.writer(buffer, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(neutralise_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(buffer, **kwargs) -> _SafeWriter:
    """Return a csv writer on `buffer` that neutralises formula-like cells."""
    return _SafeWriter(buffer, **kwargs)


def xlsx_append(sheet, row: Iterable[Any]) -> None:
    """Append `row` to an openpyxl sheet; text cells stay text, never formulas."""
    sheet.append(neutralise_row(row))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def ascii_filename(name: str) -> str:
    """Return `name` reduced to letters, digits, dot, dash and underscore."""
    cleaned = _UNSAFE_ASCII.sub("-", name).strip(".-") or "download"
    return cleaned[:100]


def content_disposition(filename: str, display_name: str | None = None) -> str:
    """Return an attachment header: ASCII `filename`, UTF-8 `display_name`."""
    header = f'attachment; filename="{filename}"'
    if display_name:
        ext = filename.rpartition(".")[2]
        clean = _UNSAFE_DISPLAY.sub("-", display_name).strip(" .-")[:100]
        if clean:
            header += "; filename*=UTF-8''" + quote(f"{clean}.{ext}", safe="")
    return header


def attachment(
    content: bytes, *, kind: str, name: str, display_name: str | None = None
) -> HttpResponse:
    """Answer a download of `content` as a `kind` file ("csv" or "xlsx").

    The extension and content type come from `kind` alone; an unknown kind is a
    404. `name` is made ASCII-safe; `display_name` (e.g. Chinese) is sent as
    RFC 5987 `filename*` for browsers that read it.
    """
    if kind not in KINDS:
        raise Http404("unknown download format")
    extension, content_type = KINDS[kind]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        f"{ascii_filename(name)}.{extension}", display_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
