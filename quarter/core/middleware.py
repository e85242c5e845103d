"""Turn a DomainError that escapes a page view into the right status and a clear message.

The API has its own handler (quarter/api.py); this covers server-rendered pages,
so a refusal is a 400/403/404 page in the user's language, never a 500.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

from quarter.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        wants_json = request.path.endswith(
            ".json"
        ) or "application/json" in request.headers.get("Accept", "")
        if wants_json:
            return JsonResponse(exception.as_dict(), status=exception.status_code)
        return render(
            request, "error.html", {"error": exception}, status=exception.status_code
        )
