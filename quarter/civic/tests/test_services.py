"""The closed loop of a report: submit, dispatch, handle, close, reopen, escalate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import TestCase

from quarter.civic import access, selectors, services
from quarter.civic.models import Report, ReportEvent, Status
from quarter.civic.tests.factories import CivicWorld, png
from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.notifications.models import Notification

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def cw(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clock.freeze(T0)
    return CivicWorld()


def _submit(cw, resident=None, **kw):
    resident = resident or cw.world.resident()
    with TestCase.captureOnCommitCallbacks(execute=True):
        report = services.submit_report(actor=resident.user, report=cw.new_report(**kw))
    return resident, report


def test_submit_report_dispatches_by_category_and_tells_the_reporter(cw):
    resident, report = _submit(cw, photo=png())

    report.refresh_from_db()
    assert report.status == Status.DISPATCHED
    assert report.department == cw.lighting
    assert report.deadline_at == T0 + dt.timedelta(hours=48)
    assert re.fullmatch(r"civic/\d{4}/\d{2}/[0-9a-f]{32}\.png", report.photo.name)
    assert [e.kind for e in report.events.all()] == ["submitted", "dispatched"]
    (note,) = Notification.objects.filter(recipient=resident.user)
    assert cw.lighting.name in note.title
    assert note.url == f"/civic/reports/{report.pk}/"


def test_submit_report_without_department_waits_for_an_operator(cw):
    _, report = _submit(cw, category=cw.other)
    assert report.status == Status.SUBMITTED
    assert report.department is None
    assert report not in access.department_queue(cw.staff)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"description": "灯" * 4001}, "description_too_long", "description"),
        ({"description": "   "}, "description_required", "description"),
        ({"lat": None}, "location_required", "lat"),
        ({"lat": 39.9, "lng": 116.4}, "location_outside_range", "lat"),
        (
            {
                "photo": SimpleUploadedFile(
                    "x.png", b"<script>", content_type="image/png"
                )
            },
            "photo_rejected",
            "photo",
        ),
    ],
)
def test_submit_report_refuses_bad_input_and_writes_nothing(cw, change, code, field):
    resident = cw.world.resident()
    with pytest.raises(DomainError) as exc:
        services.submit_report(actor=resident.user, report=cw.new_report(**change))
    assert (exc.value.code, exc.value.field) == (code, field)
    assert exc.value.status_code == 400
    assert Report.objects.count() == 0


def test_submit_report_refuses_a_photo_over_the_limit(cw, settings):
    settings.QUARTER_UPLOAD_MAX_BYTES = 100
    resident = cw.world.resident()
    with pytest.raises(DomainError) as exc:
        services.submit_report(actor=resident.user, report=cw.new_report(photo=png()))
    assert exc.value.code == "photo_rejected"
    assert "MB" in exc.value.message


def test_submit_report_is_refused_to_outsiders(cw):
    other = CivicWorld()
    outsider = other.world.resident()
    with pytest.raises(DomainError) as exc:
        services.submit_report(actor=outsider.user, report=cw.new_report())
    assert exc.value.code == "category_unknown"
    with pytest.raises(DomainError) as exc:
        services.submit_report(actor=cw.world.cashier, report=cw.new_report())
    assert exc.value.code == "not_a_reporter"


def test_grid_worker_reports_in_their_community(cw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        report = services.submit_report(
            actor=cw.world.operator_user, report=cw.new_report()
        )
    assert report.reporter == cw.world.operator_user
    assert report.status == Status.DISPATCHED


def test_complaint_names_a_merchant_of_the_community_only(cw):
    _, report = _submit(cw, category=cw.complaint, merchant=cw.world.shop)
    assert report.merchant == cw.world.shop
    foreign = CivicWorld().world.shop
    with pytest.raises(DomainError) as exc:
        services.submit_report(
            actor=cw.world.resident().user,
            report=cw.new_report(category=cw.complaint, merchant=foreign),
        )
    assert exc.value.code == "merchant_outside_community"


def test_full_loop_resolve_with_reply_then_reporter_confirms(cw):
    resident, report = _submit(cw)
    clock.freeze(T0 + dt.timedelta(hours=3))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_report(actor=cw.staff, report=report)
        services.resolve_report(
            actor=cw.staff, report=report, reply="已更换灯泡,恢复照明", photo=png()
        )
    report.refresh_from_db()
    assert report.status == Status.RESOLVED
    assert report.reply == "已更换灯泡,恢复照明"
    assert report.resolved_at == T0 + dt.timedelta(hours=3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.close_report(actor=resident.user, report=report)
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    kinds = [e.kind for e in report.events.all()]
    assert kinds == ["submitted", "dispatched", "started", "resolved", "closed"]
    titles = list(
        Notification.objects.filter(recipient=resident.user)
        .order_by("created_at", "id")
        .values_list("title", flat=True)
    )
    assert len(titles) == 4  # dispatched, started, resolved, closed
    assert "已办结" in titles[2]


def test_only_the_departments_staff_handle_a_report(cw):
    _, report = _submit(cw)
    for actor in (cw.parks_staff, cw.world.operator_user, cw.world.resident().user):
        with pytest.raises(DomainError) as exc:
            services.resolve_report(actor=actor, report=report, reply="好了")
        assert exc.value.status_code == 403
    assert list(access.department_queue(cw.parks_staff)) == []
    assert list(access.department_queue(cw.staff)) == [report]


def test_resolve_needs_a_reply(cw):
    _, report = _submit(cw)
    with pytest.raises(DomainError) as exc:
        services.resolve_report(actor=cw.staff, report=report, reply=" ")
    assert exc.value.code == "reply_required"


def test_reopen_once_sends_it_back_with_a_new_deadline(cw):
    resident, report = _submit(cw)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.resolve_report(actor=cw.staff, report=report, reply="已修")
    clock.freeze(T0 + dt.timedelta(days=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.reopen_report(
            actor=resident.user, report=report, reason="晚上还是不亮"
        )
    report.refresh_from_db()
    assert report.status == Status.DISPATCHED
    assert report.deadline_at == T0 + dt.timedelta(days=1, hours=48)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.resolve_report(actor=cw.staff, report=report, reply="更换了线路")
    with pytest.raises(DomainError) as exc:
        services.reopen_report(actor=resident.user, report=report, reason="还是不行")
    assert exc.value.code == "already_reopened"


def test_only_the_reporter_reopens(cw):
    _, report = _submit(cw)
    services.resolve_report(actor=cw.staff, report=report, reply="已修")
    with pytest.raises(DomainError) as exc:
        services.reopen_report(
            actor=cw.world.resident().user, report=report, reason="不满意"
        )
    assert exc.value.code == "not_your_report"


def test_transitions_outside_the_table_are_refused(cw):
    resident, report = _submit(cw)
    with pytest.raises(DomainError) as exc:
        services.close_report(actor=resident.user, report=report)
    assert exc.value.status_code == 409
    report.refresh_from_db()
    assert report.status == Status.DISPATCHED


def test_operator_rejects_with_a_reason_and_dispatches_by_hand(cw):
    op = cw.world.operator_user
    _, report = _submit(cw, category=cw.other)
    with pytest.raises(DomainError) as exc:
        services.reject_report(actor=op, report=report, reason="")
    assert exc.value.code == "reason_required"
    services.dispatch_report(actor=op, report=report, department=cw.parks)
    report.refresh_from_db()
    assert (report.status, report.department) == (Status.DISPATCHED, cw.parks)
    elsewhere = CivicWorld().lighting
    with pytest.raises(DomainError) as exc:
        services.dispatch_report(actor=op, report=report, department=elsewhere)
    assert exc.value.code == "department_outside_area"
    services.reject_report(actor=op, report=report, reason="属于物业管理范围")
    report.refresh_from_db()
    assert report.status == Status.REJECTED
    assert report.reject_reason == "属于物业管理范围"


def test_operator_of_another_community_cannot_dispatch(cw):
    other = CivicWorld()
    _, report = _submit(cw, category=cw.other)
    with pytest.raises(DomainError) as exc:
        services.dispatch_report(
            actor=other.world.operator_user, report=report, department=cw.lighting
        )
    assert exc.value.status_code == 403


def test_escalate_overdue_reports_once_with_a_frozen_clock(cw):
    _, late = _submit(cw)  # 48 h
    _, quick = _submit(cw, category=cw.other)  # 24 h, not dispatched
    _, done = _submit(cw)
    services.resolve_report(actor=cw.staff, report=done, reply="已修")

    clock.freeze(T0 + dt.timedelta(hours=30))
    call_command("escalate_overdue_reports")
    assert set(Report.objects.filter(escalated_at__isnull=False)) == {quick}

    clock.freeze(T0 + dt.timedelta(hours=49))
    call_command("escalate_overdue_reports")
    call_command("escalate_overdue_reports")  # a second run changes nothing
    assert set(Report.objects.filter(escalated_at__isnull=False)) == {quick, late}
    assert ReportEvent.objects.filter(kind="escalated").count() == 2
    notes = Notification.objects.filter(
        recipient=cw.world.operator_user, kind="civic.escalated"
    )
    assert notes.count() == 2
    assert any(f"#{late.pk}" in n.title for n in notes)
    points = selectors.list_map_reports(
        community=cw.world.community, flt=selectors.MapFilter()
    )
    overdue = {p["id"] for p in points if p["overdue"]}
    assert overdue == {quick.pk, late.pk}


def test_complaints_about_merchant_counts_the_window_without_rejected(cw):
    shop = cw.world.shop
    _submit(cw, category=cw.complaint, merchant=shop)
    clock.freeze(T0 + dt.timedelta(days=10))
    _, rejected = _submit(cw, category=cw.complaint, merchant=shop)
    services.reject_report(actor=cw.world.operator_user, report=rejected, reason="重复")
    _submit(cw, category=cw.complaint, merchant=shop)
    clock.freeze(T0 + dt.timedelta(days=40))
    _submit(cw, category=cw.complaint, merchant=shop)
    _submit(cw)  # not about the shop

    n = selectors.complaints_about_merchant(
        shop, start=T0, end=T0 + dt.timedelta(days=40)
    )
    assert n == 2
    assert (
        selectors.complaints_about_merchant(
            shop, start=T0, end=T0 + dt.timedelta(days=40, seconds=1)
        )
        == 3
    )


def test_monthly_stats_count_on_time_rate_and_handling_time(cw):
    _, a = _submit(cw)
    _, b = _submit(cw)
    _submit(cw)
    clock.freeze(T0 + dt.timedelta(hours=2, minutes=30))
    services.resolve_report(actor=cw.staff, report=a, reply="已修")
    clock.freeze(T0 + dt.timedelta(hours=50, minutes=30))
    services.resolve_report(actor=cw.staff, report=b, reply="已修")
    stats = {m.month: m for m in selectors.monthly_stats(community=cw.world.community)}
    nov = stats["2026-11"]
    assert (nov.count, nov.resolved, nov.on_time) == (3, 2, 1)
    assert nov.on_time_rate == 50.0
    assert nov.avg_handling == "1.1天"  # (2.5 h + 50.5 h) / 2 = 26.5 h
    assert stats["2026-10"].count == 0


def test_density_cells_group_nearby_points():
    pts = [
        {"lat": 30.2601, "lng": 120.1701},
        {"lat": 30.26012, "lng": 120.17012},
        {"lat": 30.2701, "lng": 120.1801},
    ]
    cells = selectors.density_cells(pts)
    assert sorted(c["count"] for c in cells) == [1, 2]
    assert max(c["level"] for c in cells) == 5


def test_demo_loads_reports_through_the_loop_once(settings, tmp_path):
    from quarter.civic.demo import load_civic_demo
    from quarter.places.models import Community

    settings.MEDIA_ROOT = tmp_path
    clock.freeze(T0)
    cw = CivicWorld()
    for _ in range(3):
        cw.world.resident()
    Community.objects.filter(pk=cw.world.community.pk).update(slug="jinxiu")
    from quarter.civic.models import Category

    Category.objects.all().delete()
    made = load_civic_demo()
    assert made == 25
    assert load_civic_demo() == 0
    statuses = set(Report.objects.values_list("status", flat=True))
    assert {"closed", "dispatched"} <= statuses
    assert clock.now() == T0
