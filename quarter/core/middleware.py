"""Page middleware: refusals as clear pages, and the security headers.

DomainErrorMiddleware turns a DomainError that escapes a page view into the
right status and a clear message.
The API has its own handler (quarter/api.py); this covers server-rendered pages,
so a refusal is a 400/403/404 page in the user's language, never a 500.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from quarter.core.errors import DomainError, PermissionDenied

security_log = logging.getLogger("quarter.security")


def log_forbidden(request, code: str) -> None:
    """Log a refusal (403) as one line: path, user id and code, no traceback.

    Marks the request so that Django's own "Forbidden: …" line for the same
    response is dropped (see `OneLineForbidden`).
    """
    if getattr(request, "_quarter_forbidden_logged", False):
        return
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    security_log.warning(
        "forbidden path=%s user=%s code=%s", request.path, user_id, code
    )
    request._quarter_forbidden_logged = True


class OneLineForbidden(logging.Filter):
    """Keep 403s in django.request to one line without a traceback.

    Used on django.request and django.security.csrf: a 403 already logged by
    `log_forbidden` is dropped; any other keeps its line but loses the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        if getattr(request, "_quarter_forbidden_logged", False):
            return False
        record.exc_info = None
        record.exc_text = None
        return True


def csrf_failure(request, reason: str = ""):
    """Log a failed CSRF check as one line, then answer Django's own 403 page."""
    from django.views.csrf import csrf_failure as django_csrf_failure

    log_forbidden(request, "csrf_failed")
    return django_csrf_failure(request, reason=reason)


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DjangoPermissionDenied):
            # Django would log this refusal with a full traceback.
            exception = PermissionDenied(
                "permission_denied", str(exception) or _("您没有权限查看此页面")
            )
        if not isinstance(exception, DomainError):
            return None
        if exception.status_code == 403:
            log_forbidden(request, exception.code)
        wants_json = request.path.endswith(
            ".json"
        ) or "application/json" in request.headers.get("Accept", "")
        if wants_json:
            return JsonResponse(exception.as_dict(), status=exception.status_code)
        return render(
            request, "error.html", {"error": exception}, status=exception.status_code
        )


def tile_source(template: str) -> str | None:
    """Return the CSP source that allows images from a tile URL template.

    `https://{s}.tile.example/{z}/{x}/{y}.png` becomes `https://*.tile.example`;
    a relative template (tiles served by this site) needs no source of its own.
    """
    from urllib.parse import urlsplit

    template = (template or "").strip()
    if not template:
        return None
    parts = urlsplit(template.replace("{s}", "SUBDOMAIN"))
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.netloc.replace("SUBDOMAIN", "*")
    return f"{parts.scheme}://{host}"


def build_csp() -> str:
    """Compose the Content-Security-Policy header from the settings.

    Scripts come only from this site's own files (no inline script, no eval);
    images also from data: URIs (QR codes) and exactly the hosts of the
    configured map tiles (quarter.maps.presets).
    """
    from django.conf import settings

    from quarter.maps.presets import csp_hosts

    policy: dict[str, list[str]] = {
        key: list(value) for key, value in settings.QUARTER_CSP.items()
    }
    policy.setdefault("img-src", ["'self'"]).extend(csp_hosts())
    return "; ".join(
        " ".join([directive, *sources]) for directive, sources in policy.items()
    )


class SecurityHeadersMiddleware:
    """Add the Content-Security-Policy and Permissions-Policy to every response.

    Django's SecurityMiddleware already sends X-Content-Type-Options,
    Referrer-Policy and Cross-Origin-Opener-Policy; Django 5.2 has no CSP.
    The policy is composed once, when the server starts.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.csp = build_csp()
        self.permissions = ", ".join(
            f"{feature}={allow}"
            for feature, allow in settings.QUARTER_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
