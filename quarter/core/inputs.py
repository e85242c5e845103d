"""Refuse request input no page or service can store: NUL characters.

PostgreSQL text cannot hold U+0000, so a NUL in any query-string or form value
(or in a JSON body) would reach the database as a DataError, a 500. Django's
form CharFields refuse it, but views and API handlers read values directly too;
this middleware answers every such request with one clear 400 instead.
"""

from __future__ import annotations

from django.http import JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from quarter.core import uploads
from quarter.core.errors import DomainError

CODE = "null_character"


class RejectNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        error = DomainError(
            CODE, _("输入中含有不允许的空字符(\\0),请删除后重试"), field=field
        )
        if request.path.startswith("/api/") or request.content_type == (
            "application/json"
        ):
            return JsonResponse(error.as_dict(), status=400)
        return render(request, "error.html", {"error": error}, status=400)


def _nul_field(request) -> str | None:
    """Return the name of the first value holding a NUL, '' for a JSON body."""
    for params in (request.GET, _form_data(request)):
        for name, values in params.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "")
    if request.content_type == "application/json":
        body = request.body
        if b"\x00" in body or b"\\u0000" in body:
            return ""
    return None


def _form_data(request):
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return QueryDict()
    # Reading POST parses any upload now, so choose where it goes first.
    uploads.keep_uploads_in_memory(request)
    return request.POST
