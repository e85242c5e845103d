"""The JSON API (django-ninja): one NinjaAPI, each app adds its router; one error shape."""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from quarter.core.errors import DomainError

api = NinjaAPI(
    title="Quarter API",
    version="1",
    description="一刻钟便民生活圈 — community business map, coverage, vouchers.",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("query", "body", "path")]
    return api.create_response(
        request,
        {
            "code": "invalid_input",
            "field": ".".join(loc) or None,
            "message": _("输入有误:%(reason)s") % {"reason": first.get("msg", "")},
            "errors": exc.errors,
        },
        status=422,
    )


def _register_routers() -> None:
    from quarter.coverage.api import router as coverage_router
    from quarter.places.api import router as places_router
    from quarter.vouchers.api import router as vouchers_router

    api.add_router("/", places_router)
    api.add_router("/coverage/", coverage_router)
    api.add_router("/", vouchers_router)


_register_routers()
