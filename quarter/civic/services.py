"""The verbs of problem reporting: submit, dispatch, handle, close, escalate.

Each public service takes the `actor`, checks permission through
`quarter.civic.access`, validates, and changes a report only along
`REPORT_TRANSITIONS` inside one transaction (the row locked first). Every
change writes one `ReportEvent` (the timeline) and notifies the reporter
through `quarter.notifications.services.notify`, keyed by the event so a
retry never notifies twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from quarter.civic import access
from quarter.civic.errors import CivicErrorCode as Code
from quarter.civic.models import (
    OPEN_STATUSES,
    REPORT_TRANSITIONS,
    ApiClient,
    Category,
    Department,
    Report,
    ReportEvent,
    Source,
    Status,
)
from quarter.core import clock
from quarter.core.actors import SYSTEM, is_person
from quarter.core.errors import DomainError
from quarter.core.geo import valid_lat_lng
from quarter.notifications.services import notify
from quarter.places.models import Community, Compound, Merchant

MAX_DESCRIPTION = 4000
ALLOWED_IMAGE_TYPES = {"JPEG", "PNG", "WEBP"}
# How far from the community's centre a report may be placed (a typo guard).
MAX_DISTANCE_DEG = 0.2


# --- input checks -----------------------------------------------------------------


def check_photo(upload: UploadedFile | None, *, field: str = "photo") -> None:
    """Accept only JPEG, PNG or WebP up to the upload limit, judged by content.

    Raises `photo_rejected` (400). The upload stays in memory
    (`quarter.core.uploads`), so its real size is known even past the limit.
    """
    if upload is None:
        return
    from PIL import Image, UnidentifiedImageError

    if upload.size > settings.QUARTER_UPLOAD_MAX_BYTES:
        limit_mb = settings.QUARTER_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise DomainError(Code.PHOTO_REJECTED, f"照片不能超过{limit_mb}MB", field=field)
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        kind = None
    finally:
        upload.seek(0)
    if kind not in ALLOWED_IMAGE_TYPES:
        raise DomainError(Code.PHOTO_REJECTED, "请上传JPG、PNG或WebP图片", field=field)


def _check_text(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise DomainError(Code.DESCRIPTION_REQUIRED, "请描述问题", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(
            Code.DESCRIPTION_TOO_LONG,
            f"问题描述不能超过{MAX_DESCRIPTION}字(现有{len(description)}字)",
            field="description",
        )
    return description


def _check_location(category: Category, lat, lng) -> tuple[float, float]:
    if lat is None or lng is None:
        raise DomainError(Code.LOCATION_REQUIRED, "请在地图上点选问题位置", field="lat")
    lat, lng = float(lat), float(lng)
    community = category.community
    if not valid_lat_lng(lat, lng) or (
        abs(lat - community.center_lat) > MAX_DISTANCE_DEG
        or abs(lng - community.center_lng) > MAX_DISTANCE_DEG
    ):
        raise DomainError(
            Code.LOCATION_OUTSIDE_RANGE,
            f"所选位置不在{community.name}附近,请重新点选",
            field="lat",
        )
    return lat, lng


# --- submitting -------------------------------------------------------------------


@dataclass
class NewReport:
    category: Category
    description: str
    lat: float | None
    lng: float | None
    address: str = ""
    photo: UploadedFile | None = None
    merchant: Merchant | None = None
    compound: Compound | None = None  # placed by a compound of the community
    media_url: str = ""  # an Open311 client's own photo link


def submit_report(*, actor, report: NewReport) -> Report:
    """Record a problem reported by a resident or a grid worker, then dispatch it.

    Raises `not_a_reporter` (403) unless the actor may report in the
    category's community; `category_unknown`, `description_required`,
    `description_too_long`, `location_required`, `location_outside_range`,
    `photo_rejected`, `merchant_outside_community` (400). A category with a
    default department is dispatched to it at once (by the system). Writes
    nothing on refusal.
    """
    communities = access.require_reporter(actor)
    category = report.category
    if category is None or not category.active:
        raise DomainError(Code.CATEGORY_UNKNOWN, "请选择问题类别", field="category")
    if not communities.filter(pk=category.community_id).exists():
        raise DomainError(
            Code.CATEGORY_UNKNOWN, "该类别不属于您所在的社区", field="category"
        )
    return _create(
        category=category,
        reporter=actor,
        source=Source.WEB,
        data=report,
    )


def _create(
    *, category, reporter, source, data: NewReport, api_client=None, token=None
) -> Report:
    description = _check_text(data.description)
    lat, lng = _check_location(category, data.lat, data.lng)
    check_photo(data.photo)
    if (
        data.merchant is not None
        and data.merchant.community_id != category.community_id
    ):
        raise DomainError(
            Code.MERCHANT_OUTSIDE_COMMUNITY, "所选商户不在本社区", field="merchant"
        )
    now = clock.now()
    with transaction.atomic():
        report = Report(
            community=category.community,
            category=category,
            reporter=reporter if is_person(reporter) else None,
            source=source,
            api_client=api_client,
            token=token,
            description=description,
            address=(data.address or "").strip()[:200],
            lat=lat,
            lng=lng,
            merchant=data.merchant,
            compound=data.compound,
            media_url=_check_media_url(data.media_url),
            deadline_at=now + dt.timedelta(hours=category.sla_hours),
            created_at=now,
            updated_at=now,
        )
        if data.photo is not None:
            report.photo = data.photo
        report.save()
        _event(report, ReportEvent.Kind.SUBMITTED, actor=reporter, to=Status.SUBMITTED)
        if category.department_id:
            _move(
                report,
                Status.DISPATCHED,
                ReportEvent.Kind.DISPATCHED,
                actor=SYSTEM,
                note=f"按类别自动派往{category.department.name}",
                department=category.department,
            )
    return report


# --- the loop ---------------------------------------------------------------------


def _locked(report: Report) -> Report:
    return (
        # of=self: PostgreSQL cannot lock the nullable side of an outer join.
        Report.objects.select_for_update(of=("self",))
        .select_related("category", "department", "community")
        .get(pk=report.pk)
    )


def _event(report, kind, *, actor, to="", frm="", note="", department=None):
    return ReportEvent.objects.create(
        report=report,
        kind=kind,
        actor=actor if is_person(actor) else None,
        from_status=frm,
        to_status=to,
        note=note,
        department=department or report.department,
        created_at=clock.now(),
    )


_TITLES = {
    ReportEvent.Kind.DISPATCHED: "您反映的问题已派给{dept}办理",
    ReportEvent.Kind.STARTED: "{dept}已开始处理您反映的问题",
    ReportEvent.Kind.RESOLVED: "您反映的问题已办结,请查看答复",
    ReportEvent.Kind.CLOSED: "您反映的问题已关闭",
    ReportEvent.Kind.REJECTED: "您反映的问题未予受理",
    ReportEvent.Kind.REOPENED: "您的诉求已重新办理",
}


def _move(report, target, kind, *, actor, note="", department=None) -> ReportEvent:
    """Change the status along the table, write the event, notify the reporter."""
    REPORT_TRANSITIONS.check(report.status, target)
    before = report.status
    now = clock.now()
    report.status = target
    report.updated_at = now
    if department is not None:
        report.department = department
    report.save()
    event = _event(
        report,
        kind,
        actor=actor,
        frm=before,
        to=target,
        note=note,
        department=department,
    )
    if report.reporter_id:
        dept = report.department.name if report.department_id else ""
        url = reverse("civic:report_detail", args=[report.pk])
        transaction.on_commit(
            lambda: notify(
                report.reporter,
                kind=f"civic.{kind}",
                title=_TITLES[kind].format(dept=dept),
                body=note,
                url=url,
                key=f"civic:{report.pk}:event:{event.pk}",
            )
        )
    return event


def dispatch_report(*, actor, report: Report, department: Department) -> Report:
    """Send a report to a department (an operator of its community).

    Raises `not_operator_of_community` (403), `department_required` and
    `department_outside_area` (400), `report_state_not_allowed` (409).
    """
    access.require_operator_of(actor, report.community_id)
    if department is None:
        raise DomainError(
            Code.DEPARTMENT_REQUIRED, "请选择承办部门", field="department"
        )
    with transaction.atomic():
        report = _locked(report)
        if (
            not access.departments_for(report.community)
            .filter(pk=department.pk)
            .exists()
        ):
            raise DomainError(
                Code.DEPARTMENT_OUTSIDE_AREA,
                "该部门不负责本社区",
                field="department",
            )
        _move(
            report,
            Status.DISPATCHED,
            ReportEvent.Kind.DISPATCHED,
            actor=actor,
            note=f"派往{department.name}",
            department=department,
        )
    return report


def start_report(*, actor, report: Report) -> Report:
    """Accept a dispatched report (department staff of its department)."""
    access.require_handler_of(actor, report)
    with transaction.atomic():
        report = _locked(report)
        _move(report, Status.IN_PROGRESS, ReportEvent.Kind.STARTED, actor=actor)
    return report


def resolve_report(
    *, actor, report: Report, reply: str, photo: UploadedFile | None = None
) -> Report:
    """Reply and mark the report resolved (department staff of its department).

    A dispatched report may be resolved directly (it passes through
    in_progress). Raises `reply_required`, `photo_rejected` (400),
    `not_department_staff` (403), `report_state_not_allowed` (409).
    """
    access.require_handler_of(actor, report)
    reply = (reply or "").strip()
    if not reply:
        raise DomainError(Code.REPLY_REQUIRED, "请填写办理答复", field="reply")
    if len(reply) > MAX_DESCRIPTION:
        raise DomainError(
            Code.DESCRIPTION_TOO_LONG, f"答复不能超过{MAX_DESCRIPTION}字", field="reply"
        )
    check_photo(photo, field="photo")
    with transaction.atomic():
        report = _locked(report)
        if report.status == Status.DISPATCHED:
            _move(report, Status.IN_PROGRESS, ReportEvent.Kind.STARTED, actor=actor)
        REPORT_TRANSITIONS.check(report.status, Status.RESOLVED)
        report.reply = reply
        report.resolved_at = clock.now()
        if photo is not None:
            report.reply_photo = photo
        _move(
            report, Status.RESOLVED, ReportEvent.Kind.RESOLVED, actor=actor, note=reply
        )
    return report


def close_report(*, actor, report: Report) -> Report:
    """Confirm a resolved report (its reporter, or an operator of its community)."""
    if not access.can_close(actor, report):
        access.require_reporter_of(actor, report)
    with transaction.atomic():
        report = _locked(report)
        report.closed_at = clock.now()
        _move(report, Status.CLOSED, ReportEvent.Kind.CLOSED, actor=actor)
    return report


def reject_report(*, actor, report: Report, reason: str) -> Report:
    """Refuse a report with a reason (an operator of its community)."""
    access.require_operator_of(actor, report.community_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请填写不予受理的原因", field="reason")
    with transaction.atomic():
        report = _locked(report)
        report.reject_reason = reason[:200]
        report.closed_at = clock.now()
        _move(
            report, Status.REJECTED, ReportEvent.Kind.REJECTED, actor=actor, note=reason
        )
    return report


def reopen_report(*, actor, report: Report, reason: str) -> Report:
    """Send a resolved report back to its department once (its reporter only).

    The deadline starts again from now. Raises `not_your_report` (403),
    `reason_required`, `already_reopened` (400), `report_state_not_allowed`.
    """
    access.require_reporter_of(actor, report)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Code.REASON_REQUIRED, "请说明不满意的原因", field="reason")
    with transaction.atomic():
        report = _locked(report)
        if report.status != Status.RESOLVED:
            raise DomainError(
                Code.WRONG_STATE, "只有已办结的诉求可以重新办理", status_code=409
            )
        if report.reopen_count >= 1:
            raise DomainError(
                Code.ALREADY_REOPENED, "每条诉求只能重新办理一次", field="reason"
            )
        REPORT_TRANSITIONS.check(report.status, Status.DISPATCHED)
        report.reopen_count += 1
        report.resolved_at = None
        report.escalated_at = None
        report.deadline_at = clock.now() + dt.timedelta(hours=report.category.sla_hours)
        _move(
            report,
            Status.DISPATCHED,
            ReportEvent.Kind.REOPENED,
            actor=actor,
            note=reason,
        )
    return report


# --- escalation -------------------------------------------------------------------


def escalate_overdue_reports(*, actor=SYSTEM) -> list[Report]:
    """Mark every open report past its deadline escalated, once, and tell operators.

    Idempotent and safe on two machines: rows are claimed with
    `SELECT … FOR UPDATE SKIP LOCKED` and only those not yet escalated are
    changed; each operator is notified with a key per report and deadline.
    Returns the reports escalated by this run.
    """
    now = clock.now()
    done = []
    with transaction.atomic():
        rows = list(
            Report.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=OPEN_STATUSES, deadline_at__lt=now, escalated_at__isnull=True
            )
            .order_by("pk")
        )
        for report in rows:
            report.escalated_at = now
            report.save(update_fields=["escalated_at"])
            hours = int((now - report.deadline_at).total_seconds() // 3600)
            _event(
                report,
                ReportEvent.Kind.ESCALATED,
                actor=actor,
                note=f"超过办理时限{hours}小时,已提请社区督办",
            )
            done.append(report)
    for report in done:
        _tell_operators(report)
    return done


def _tell_operators(report: Report) -> None:
    from quarter.people.models import Operator

    url = reverse("civic:report_detail", args=[report.pk])
    dept = report.department.name if report.department_id else "未派单"
    due = report.deadline_at.astimezone(clock.SHANGHAI)
    for op in Operator.objects.filter(community=report.community_id).select_related(
        "user"
    ):
        notify(
            op.user,
            kind="civic.escalated",
            title=f"诉求#{report.pk}({report.category.name})已超时,请督办",
            body=f"承办:{dept};时限:{due:%m-%d %H:%M}",
            url=url,
            key=f"civic:{report.pk}:escalated:{report.deadline_at.isoformat()}",
        )


# --- Open311 clients --------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Return (key, prefix, hash) for a new client key; only the hash is stored."""
    prefix = secrets.token_hex(4)
    key = f"q311_{prefix}_{secrets.token_urlsafe(24)}"
    return key, prefix, _hash_key(key)


def create_api_client(*, actor, name: str, community) -> tuple[ApiClient, str]:
    """Create an Open311 client for a community and return it with its key.

    The key is shown once; only its SHA-256 is stored (the key is 192 random
    bits, so a fast hash is enough).
    """
    access.require_operator_of(actor, community.pk)
    key, prefix, digest = new_api_key()
    client = ApiClient.objects.create(
        name=name,
        community=community,
        key_prefix=prefix,
        key_hash=digest,
        created_at=clock.now(),
    )
    return client, key


def client_for_key(key: str) -> ApiClient | None:
    """Return the active client whose key this is, or None."""
    parts = (key or "").split("_")
    if len(parts) < 3 or parts[0] != "q311":
        return None
    client = ApiClient.objects.filter(key_prefix=parts[1], active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, _hash_key(key)):
        return None
    return client


def _check_media_url(url: str) -> str:
    """An http(s) link of at most 500 characters, or "". Raises `media_url_invalid`."""
    url = (url or "").strip()
    if not url:
        return ""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise DomainError(
            Code.MEDIA_URL_INVALID, "照片链接须是 http(s) 网址", field="media_url"
        ) from None
    if len(url) > 500:
        raise DomainError(
            Code.MEDIA_URL_INVALID, "照片链接不能超过500个字符", field="media_url"
        )
    return url


def place_by_compound(
    community: Community, *, address_id: str = "", address_string: str = ""
) -> Compound | None:
    """Find the compound of `community` an Open311 request names.

    `address_id` is a compound's id as listed by the community's compounds;
    an `address_string` is placed when it names exactly one compound (the
    longest name it contains, e.g. "锦绣华庭3栋门口" → 锦绣华庭). None when
    neither places it. Compounds are the community's own address register:
    nothing is geocoded outside.
    """
    compounds = Compound.objects.filter(community=community)
    if address_id:
        if not address_id.isdigit() or len(address_id) > 12:
            return None
        return compounds.filter(pk=int(address_id)).first()
    text = "".join((address_string or "").split())
    if not text:
        return None
    named = [
        c
        for c in compounds.only("pk", "name", "lat", "lng")
        if c.name and c.name in text
    ]
    if not named:
        return None
    longest = max(len(c.name) for c in named)
    best = [c for c in named if len(c.name) == longest]
    return best[0] if len(best) == 1 else None


def submit_open311_request(*, client: ApiClient, report: NewReport) -> Report:
    """Record a request POSTed by an Open311 client (no personal data is kept).

    The request is queued under a token and dispatched like any report.
    """
    if report.category.community_id != client.community_id:
        raise DomainError(
            Code.CATEGORY_UNKNOWN, "service_code not found", field="service_code"
        )
    created = _create(
        category=report.category,
        reporter=None,
        source=Source.OPEN311,
        data=report,
        api_client=client,
        token=secrets.token_hex(8),
    )
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=clock.now())
    return created
