"""Open311 GeoReport v2 at /open311/v2/: services, requests and tokens, XML and JSON.

Follows http://wiki.open311.org/GeoReport_v2 (the spec's own example
documents are the fixtures of `tests/test_open311.py`):

- `jurisdiction_id` is a community's slug; it may be left out when only one
  community has categories (the spec requires it only for multi-jurisdiction
  endpoints).
- Every service is of type `batch`: POST answers a `token`;
  `tokens/{token}` then gives the `service_request_id`.
- `status` is `open` (submitted, dispatched, in progress) or `closed`
  (resolved, closed, rejected); `status_notes` carries the internal state,
  `agency_responsible` the department, `expected_datetime` the deadline.
- Privacy: a request shows only what the spec lists; who reported it
  (account, name, phone, email, device) is never stored from a POST nor shown.
- Location: `lat`/`long`, or an `address_id` (a compound's id, as
  `GET /compounds` of the places API lists them), or an `address_string`
  that names one compound of the jurisdiction (its longest name found in the
  text): the community's compounds are its address register, and nothing is
  geocoded by an outside service. A string that names no compound is refused
  with a 400 that says what to send instead.
- `media_url` (http/https) is kept as a link for the community's workers and
  returned as given; it is never fetched or embedded (photos uploaded through
  the site are checked, and shown to those who may see the report).
- `description` is required.
- JSON is the Spark mapping of the XML, as the spec says: empty elements
  become null, `metadata`/`variable`/`required` booleans, `lat`/`long`/`order`
  numbers, and ids, codes and keys strings (the spec's JSON examples print
  `"service_code":001`, which is not valid JSON).
- Errors use the spec's `errors/error/{code, description}` document with HTTP
  404 (unknown resource), 403 (missing or wrong api_key) or 400 (anything else);
  bad input is never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from quarter.civic import services
from quarter.civic.models import OPEN_STATUSES, Category, Report, Status
from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.numbers import parse_float
from quarter.places.models import Admission, Community, Merchant

MAX_SPAN = dt.timedelta(days=90)
MAX_RESULTS = 1000
FORMATS = ("xml", "json")


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | None = None):
        super().__init__(description)
        self.status = status
        self.code = code or status
        self.description = description


# --- rendering --------------------------------------------------------------------

# A record is a list of (name, value) pairs, in the spec's element order; a value
# is None (empty element / null), bool, number, str, or a list of records under
# (list name, item name).


class Many:
    def __init__(self, item: str, records: Iterable[list]):
        self.item = item
        self.records = list(records)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_xml(parent: ET.Element, record: list) -> None:
    for name, value in record:
        el = ET.SubElement(parent, name)
        if isinstance(value, Many):
            for item in value.records:
                _to_xml(ET.SubElement(el, value.item), item)
        else:
            el.text = _text(value)


def _to_json(record: list) -> dict:
    out = {}
    for name, value in record:
        if isinstance(value, Many):
            out[name] = [_to_json(r) for r in value.records]
        elif value == "":
            out[name] = None
        else:
            out[name] = value
    return out


def render(fmt: str, root: str, item: str | None, payload, status: int = 200):
    """Render a list of records (under root/item) or one record (as root)."""
    if fmt == "json":
        body = [_to_json(r) for r in payload] if item is not None else _to_json(payload)
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    el = ET.Element(root)
    if item is not None:
        for record in payload:
            _to_xml(ET.SubElement(el, item), record)
    else:
        _to_xml(el, payload)
    text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        el, encoding="unicode"
    )
    return HttpResponse(
        text.encode(), status=status, content_type="text/xml; charset=utf-8"
    )


def error_response(fmt: str, err: Open311Error) -> HttpResponse:
    record = [("code", err.code), ("description", err.description)]
    return render(
        fmt if fmt in FORMATS else "xml", "errors", "error", [record], status=err.status
    )


def endpoint(methods=("GET",)):
    """Wrap a handler: check the format, turn every refusal into a spec error."""

    def wrap(view):
        @csrf_exempt  # POST is authorised by api_key, never by a session cookie
        @require_http_methods(list(methods))
        def inner(request: HttpRequest, fmt: str, **kwargs):
            try:
                if fmt not in FORMATS:
                    raise Open311Error(
                        400, f"format '{fmt[:10]}' is not supported: use xml or json"
                    )
                return view(request, fmt, **kwargs)
            except Open311Error as err:
                return error_response(fmt, err)
            except DomainError as err:
                status = err.status_code if err.status_code in (403, 404) else 400
                field = f"{err.field}: " if err.field else ""
                return error_response(fmt, Open311Error(status, field + err.message))

        inner.__name__ = view.__name__
        return inner

    return wrap


# --- helpers ----------------------------------------------------------------------


def _param(request, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _jurisdiction(request) -> Community:
    slug = _param(request, "jurisdiction_id")
    if slug:
        community = Community.objects.filter(slug=slug).first()
        if community is None:
            raise Open311Error(404, f"jurisdiction_id '{slug[:60]}' not found")
        return community
    served = list(
        Community.objects.filter(civic_categories__active=True).distinct()[:2]
    )
    if len(served) == 1:
        return served[0]
    raise Open311Error(
        400,
        "jurisdiction_id was not provided: this endpoint serves several communities",
    )


def _w3(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(clock.SHANGHAI).replace(microsecond=0).isoformat()


def _parse_w3(name: str, value: str) -> dt.datetime:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Open311Error(
            400,
            f"{name} must be a w3 datetime with a time zone, eg 2010-01-01T00:00:00Z",
        )
    return parsed


def _service_record(c: Category) -> list:
    return [
        ("service_code", c.code),
        ("service_name", c.name),
        ("description", c.description),
        ("metadata", c.about_merchant),
        ("type", "batch"),
        ("keywords", c.keywords),
        ("group", c.group),
    ]


def _media_url(request, report: Report) -> str | None:
    if report.photo:
        return request.build_absolute_uri(report.photo.url)
    return report.media_url or None


def _request_record(request, r: Report) -> list:
    closed = r.status not in OPEN_STATUSES
    notes = f"{r.status}: {r.get_status_display()}"
    if r.status == Status.REJECTED and r.reject_reason:
        notes += f"({r.reject_reason})"
    return [
        ("service_request_id", str(r.pk)),
        ("status", "closed" if closed else "open"),
        ("status_notes", notes),
        ("service_name", r.category.name),
        ("service_code", r.category.code),
        ("description", r.description),
        ("agency_responsible", r.department.name if r.department_id else None),
        ("service_notice", _notice(r.category)),
        ("requested_datetime", _w3(r.created_at)),
        ("updated_datetime", _w3(r.updated_at)),
        ("expected_datetime", _w3(r.deadline_at)),
        ("address", r.address or r.community.name),
        ("address_id", str(r.compound_id) if r.compound_id else None),
        ("zipcode", None),
        ("lat", r.lat),
        ("long", r.lng),
        ("media_url", _media_url(request, r)),
    ]


def _notice(category: Category) -> str:
    dept = category.department.name if category.department_id else "社区"
    return f"{dept}将在{category.sla_hours}小时内处理"


def _categories(community):
    return Category.objects.filter(community=community, active=True).select_related(
        "department"
    )


def _requests_qs():
    return Report.objects.select_related(
        "category__department", "department", "community"
    )


# --- the six methods --------------------------------------------------------------


@endpoint()
def service_list(request, fmt):
    community = _jurisdiction(request)
    records = [_service_record(c) for c in _categories(community)]
    return render(fmt, "services", "service", records)


@endpoint()
def service_definition(request, fmt, code):
    community = _jurisdiction(request)
    category = _categories(community).filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code '{code[:40]}' not found")
    attributes = []
    if category.about_merchant:
        merchants = Merchant.objects.filter(
            community=community, admission=Admission.APPROVED
        ).order_by("name", "pk")
        attributes.append(
            [
                ("variable", True),
                ("code", "merchant"),
                ("datatype", "singlevaluelist"),
                ("required", False),
                ("datatype_description", None),
                ("order", 1),
                ("description", "涉及哪家商户?"),
                (
                    "values",
                    Many(
                        "value",
                        ([("key", str(m.pk)), ("name", m.name)] for m in merchants),
                    ),
                ),
            ]
        )
    record = [
        ("service_code", category.code),
        ("attributes", Many("attribute", attributes)),
    ]
    return render(fmt, "service_definition", None, record)


@endpoint(methods=("GET", "POST"))
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    community = _jurisdiction(request)
    qs = _requests_qs().filter(community=community)
    ids = _param(request, "service_request_id")
    if ids:
        wanted = []
        for part in ids.split(","):
            part = part.strip()
            if not part.isdigit() or len(part) > 12:
                raise Open311Error(
                    400, f"service_request_id '{part[:20]}' is not a number"
                )
            wanted.append(int(part))
        qs = qs.filter(pk__in=wanted)
    else:
        qs = _filter_requests(request, qs, community)
    rows = qs.order_by("-created_at", "-pk")[:MAX_RESULTS]
    return render(
        fmt, "service_requests", "request", [_request_record(request, r) for r in rows]
    )


def _filter_requests(request, qs, community):
    codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
    if codes:
        known = set(_categories(community).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Open311Error(404, f"service_code '{unknown[0][:40]}' not found")
        qs = qs.filter(category__code__in=codes)
    start_s, end_s = _param(request, "start_date"), _param(request, "end_date")
    start = _parse_w3("start_date", start_s) if start_s else None
    end = _parse_w3("end_date", end_s) if end_s else None
    if start and end:
        if end < start:
            raise Open311Error(400, "end_date is before start_date")
        if end - start > MAX_SPAN:
            raise Open311Error(
                400, "start_date and end_date may not span more than 90 days"
            )
    elif start:
        end = start + MAX_SPAN
    else:
        end = end or clock.now()
        start = end - MAX_SPAN
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    statuses = [s.strip() for s in _param(request, "status").split(",") if s.strip()]
    if statuses:
        bad = [s for s in statuses if s not in ("open", "closed")]
        if bad:
            raise Open311Error(
                400, f"status '{bad[0][:20]}' is not one of: open, closed"
            )
        cond = Q(pk__in=[])
        if "open" in statuses:
            cond |= Q(status__in=OPEN_STATUSES)
        if "closed" in statuses:
            cond |= ~Q(status__in=OPEN_STATUSES)
        qs = qs.filter(cond)
    return qs


def _post_request(request, fmt):
    key = _param(request, "api_key")
    client = services.client_for_key(key) if key else None
    if client is None:
        raise Open311Error(
            403,
            "Missing api_key -- can't proceed with create_request."
            if not key
            else "Invalid api_key received -- can't proceed with create_request.",
        )
    community = (
        _jurisdiction(request)
        if _param(request, "jurisdiction_id")
        else client.community
    )
    if community.pk != client.community_id:
        raise Open311Error(403, "api_key is not valid for this jurisdiction_id")
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = _categories(community).filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code '{code[:40]}' not found")
    lat, lng, compound = _location(request, community)
    merchant = None
    merchant_id = _param(request, "attribute[merchant]")
    if merchant_id:
        if not category.about_merchant:
            raise Open311Error(
                400, "attribute[merchant] is not an attribute of this service"
            )
        if not merchant_id.isdigit():
            raise Open311Error(
                400, "attribute[merchant] must be one of the listed keys"
            )
        merchant = Merchant.objects.filter(
            pk=int(merchant_id), community=community, admission=Admission.APPROVED
        ).first()
        if merchant is None:
            raise Open311Error(
                400, "attribute[merchant] must be one of the listed keys"
            )
    report = services.submit_open311_request(
        client=client,
        report=services.NewReport(
            category=category,
            description=_param(request, "description"),
            lat=lat,
            lng=lng,
            address=_param(request, "address_string")
            or (compound.name if compound else ""),
            merchant=merchant,
            compound=compound,
            media_url=_param(request, "media_url"),
        ),
    )
    record = [
        ("token", report.token),
        ("service_notice", _notice(category)),
        ("account_id", None),
    ]
    return render(fmt, "service_requests", "request", [record])


def _location(request, community):
    """(lat, lng, compound) of a POST: a point, or a compound the request names."""
    lat_s, lng_s = _param(request, "lat"), _param(request, "long")
    if lat_s or lng_s:
        if not (lat_s and lng_s):
            raise Open311Error(400, "lat and long must be sent together")
        try:
            lat = parse_float(lat_s, minimum=-90, maximum=90, label="lat")
            lng = parse_float(lng_s, minimum=-180, maximum=180, label="long")
        except ValueError as exc:
            raise Open311Error(400, f"lat/long: {exc}") from None
        return lat, lng, None
    address_id = _param(request, "address_id")
    address_string = _param(request, "address_string")
    if not (address_id or address_string):
        raise Open311Error(
            400, "a location is required: lat and long, address_id or address_string"
        )
    compound = services.place_by_compound(
        community, address_id=address_id, address_string=address_string
    )
    if compound is None:
        if address_id:
            raise Open311Error(
                400,
                f"address_id '{address_id[:20]}' is no compound of this jurisdiction",
            )
        raise Open311Error(
            400,
            "address_string names no compound of this jurisdiction: "
            "send lat and long, or an address_id",
        )
    return compound.lat, compound.lng, compound


@endpoint()
def request_detail(request, fmt, request_id):
    report = (
        _requests_qs().filter(pk=int(request_id)).first()
        if len(request_id) <= 12
        else None
    )
    if report is None:
        raise Open311Error(404, f"service_request_id '{request_id[:20]}' not found")
    return render(
        fmt, "service_requests", "request", [_request_record(request, report)]
    )


@endpoint()
def token_detail(request, fmt, token):
    report = Report.objects.filter(token=token[:32]).only("pk", "token").first()
    if report is None:
        raise Open311Error(404, f"token '{token[:40]}' not found")
    record = [("service_request_id", str(report.pk)), ("token", report.token)]
    return render(fmt, "service_requests", "request", [record])


@csrf_exempt
def not_found(request, rest=""):
    fmt = "json" if request.path.endswith(".json") else "xml"
    return error_response(fmt, Open311Error(404, "no such Open311 resource"))
