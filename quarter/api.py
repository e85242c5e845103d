"""The JSON API (django-ninja): one NinjaAPI, each app adds its router; one error shape.

Every error the API answers, its own or a service's, has the body
``{"code": ..., "field": ..., "message": ...}`` (`ApiError`): `code` is stable,
`field` names the input at fault or is null, `message` is in the user's language.

| status | code(s)                                   | when                          |
|--------|-------------------------------------------|-------------------------------|
| 400    | a service's code, `unparsable_body`       | refused input, body not JSON  |
| 401    | `login_required`                          | no session on a secured path  |
| 403    | a service's code, `csrf_failed`, `forbidden` | not allowed, CSRF token bad |
| 404    | a service's code, `not_found`             | no such object or path        |
| 405    | `method_not_allowed`                      | path exists, method does not  |
| 409    | a service's code                          | conflicts (e.g. already done) |
| 422    | `invalid_input`                           | a parameter fails validation  |
| 429    | `rate_limited` or a service's code        | too many requests             |

`_declare_error_statuses` writes these into every operation of the OpenAPI
document, so `/api/openapi.json` lists each status an operation can return.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from quarter.core.errors import DomainError
from quarter.core.middleware import log_forbidden


class ApiError(Schema):
    """The one error shape of the API."""

    code: str
    field: str | None = None
    message: str


class QuarterAPI(NinjaAPI):
    """NinjaAPI whose unknown paths and wrong methods answer in the error shape."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        wrapped = [
            URLPattern(
                p.pattern,
                _method_not_allowed_as_json(p.callback),
                p.default_args,
                p.name,
            )
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        wrapped.append(re_path(r"^", _unknown_path))
        return wrapped, app_name, namespace


api = QuarterAPI(
    title="Quarter API",
    version="1",
    description=(
        "一刻钟便民生活圈 — community business map, coverage, vouchers. "
        "Every error body is {code, field, message}."
    ),
    urls_namespace="api",
)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"code": code, "field": field, "message": message}


def _method_not_allowed_as_json(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                error_body(
                    "method_not_allowed",
                    _("该地址不支持 %(method)s 请求,可用:%(allowed)s")
                    % {"method": request.method, "allowed": allowed},
                ),
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _unknown_path(request, *args, **kwargs):
    return JsonResponse(error_body("not_found", _("没有这个接口地址")), status=404)


_unknown_path.csrf_exempt = True


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    if exc.status_code == 403:
        log_forbidden(request, exc.code)
    return api.create_response(request, exc.as_dict(), status=exc.status_code)


# Pydantic's reasons are English; the common ones are said in Chinese.
_REASONS = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "string_type": "应为文本",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "应为一个对象",
    "dict_type": "应为一个对象",
    "list_type": "应为列表",
    "greater_than_equal": "太小",
    "less_than_equal": "太大",
    "string_too_long": "太长",
    "string_too_short": "太短",
}


def _field_of(loc: list) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "form", "file") and len(parts) > 2:
        parts = parts[2:]  # ["body", <parameter name>, field, ...]
    elif parts and parts[0] in ("query", "path", "header", "cookie", "body", "form"):
        parts = parts[1:]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    reason = _(_REASONS[first["type"]]) if first.get("type") in _REASONS else None
    return api.create_response(
        request,
        error_body(
            "invalid_input",
            _("输入有误:%(reason)s") % {"reason": reason or first.get("msg", "")},
            _field_of(first.get("loc", [])),
        ),
        status=422,
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc: AuthenticationError):
    return api.create_response(
        request, error_body("login_required", _("请先登录")), status=401
    )


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    return api.create_response(
        request, error_body("rate_limited", _("请求太频繁,请稍后再试")), status=429
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    """Ninja's own refusals: CSRF, unparsable bodies, authorisation."""
    status = exc.status_code
    if status == 403 and "CSRF" in str(exc):
        log_forbidden(request, "csrf_failed")
        body = error_body("csrf_failed", _("请求已过期或来源不明,请刷新页面后重试"))
    elif status == 403:
        log_forbidden(request, "forbidden")
        body = error_body("forbidden", _("您没有权限执行此操作"))
    elif status == 400:
        body = error_body(
            "unparsable_body", _("请求内容无法解析,应为 JSON"), field="body"
        )
    else:
        body = error_body(f"http_{status}", str(exc))
    return api.create_response(request, body, status=status)


@api.exception_handler(DjangoPermissionDenied)
def _permission_denied(request, exc):
    log_forbidden(request, "forbidden")
    return api.create_response(
        request, error_body("forbidden", _("您没有权限执行此操作")), status=403
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, error_body("not_found", _("找不到该对象")), status=404
    )


def _register_routers() -> None:
    from quarter.card.api import router as card_router
    from quarter.coverage.api import router as coverage_router
    from quarter.places.api import router as places_router
    from quarter.surveys.api import router as surveys_router
    from quarter.vouchers.api import router as vouchers_router

    api.add_router("/", places_router)
    api.add_router("/coverage/", coverage_router)
    api.add_router("/", vouchers_router)
    api.add_router("/", card_router)
    api.add_router("/", surveys_router)


ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 422, 429, 503)


def error_statuses(operation) -> set[int]:
    """Return the error statuses `operation` can answer.

    Every operation can be refused by a service (400, 403, 404), reached with
    the wrong method (405) or given a bad parameter (422); one behind a login
    also answers 401, and 403 for a failed CSRF check. Statuses an app's router
    declares itself (409, 429) are kept.
    """
    statuses = {400, 403, 404, 405, 422}
    if operation.auth_callbacks:
        statuses.add(401)
    statuses |= {s for s in operation.response_models if s in ERROR_STATUSES}
    return statuses


def _operations():
    """Yield the bound operations (the ones URLs and the OpenAPI document use).

    Ninja binds routers once, on first use; every router must be added before.
    """
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            yield from path_view.operations


def _declare_error_statuses() -> None:
    """Document the one error shape for every error status of every operation."""
    for operation in _operations():
        model = operation._create_response_model(ApiError)
        for status in error_statuses(operation):
            operation.response_models[status] = model


_register_routers()
_declare_error_statuses()
