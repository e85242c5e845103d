"""The civic pages as people use them: report, follow, handle, map, statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase

from quarter.civic import services
from quarter.civic.models import Report, Status
from quarter.civic.tests.factories import CivicWorld, png
from quarter.core import clock

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.SHANGHAI)


@pytest.fixture
def cw(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    clock.freeze(T0)
    return CivicWorld()


def _form(cw, **kw):
    data = {
        "category": cw.lamp.pk,
        "description": "3栋门口路灯不亮",
        "lat": "30.2601",
        "lng": "120.1702",
        "address": "3栋东侧",
    }
    data.update(kw)
    return data


def test_resident_reports_with_a_photo_and_sees_the_timeline(cw, client):
    resident = cw.world.resident()
    client.force_login(resident.user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        resp = client.post("/civic/report/", _form(cw, photo=png()))
    report = Report.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/civic/reports/{report.pk}/"
    page = client.get(resp["Location"]).content.decode()
    assert "提交诉求" in page and "派单" in page
    assert cw.lighting.name in page
    assert report.photo.url in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lat": "", "lng": ""}, "请在地图上点选问题位置"),
        ({"description": "灯" * 4001}, "4000"),
        ({"category": "999999"}, "category"),
        ({"lat": "NaN"}, "纬度"),
        ({"lat": "39.9", "lng": "116.4"}, "附近"),
    ],
)
def test_report_form_refuses_bad_input_with_400(cw, client, change, message):
    client.force_login(cw.world.resident().user)
    resp = client.post("/civic/report/", _form(cw, **change))
    assert resp.status_code == 400
    assert message in resp.content.decode() or change.get("category")
    assert Report.objects.count() == 0


def test_report_form_refuses_a_file_that_is_not_an_image(cw, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(cw.world.resident().user)
    fake = SimpleUploadedFile(
        "lamp.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg"
    )
    resp = client.post("/civic/report/", _form(cw, photo=fake))
    assert resp.status_code == 400
    assert "请上传JPG、PNG或WebP图片" in resp.content.decode()
    assert Report.objects.count() == 0


def test_department_staff_see_only_their_queue_and_resolve_with_a_reply(cw, client):
    resident = cw.world.resident()
    lamp = services.submit_report(actor=resident.user, report=cw.new_report())
    other = services.submit_report(
        actor=resident.user, report=cw.new_report(category=cw.complaint)
    )
    waiting = services.submit_report(
        actor=resident.user, report=cw.new_report(category=cw.other)
    )
    client.force_login(cw.staff)
    page = client.get("/civic/queue/").content.decode()
    assert f"#{lamp.pk}" in page
    assert f"#{other.pk}" not in page and f"#{waiting.pk}" not in page
    assert client.get(f"/civic/reports/{other.pk}/").status_code == 403
    assert client.get(f"/civic/reports/{waiting.pk}/").status_code == 403
    assert (
        client.post(f"/civic/reports/{other.pk}/resolve", {"reply": "x"}).status_code
        == 403
    )

    resp = client.post(f"/civic/reports/{lamp.pk}/resolve", {"reply": ""})
    assert resp.status_code == 400
    resp = client.post(
        f"/civic/reports/{lamp.pk}/resolve", {"reply": "已更换灯泡", "photo": png()}
    )
    assert resp.status_code == 302
    lamp.refresh_from_db()
    assert lamp.status == Status.RESOLVED and lamp.reply_photo

    client.force_login(resident.user)
    page = client.get(f"/civic/reports/{lamp.pk}/").content.decode()
    assert "已更换灯泡" in page
    assert 'id="reopen"' in page


def test_other_residents_cannot_see_a_report(cw, client):
    report = services.submit_report(
        actor=cw.world.resident().user, report=cw.new_report()
    )
    client.force_login(cw.world.resident().user)
    assert client.get(f"/civic/reports/{report.pk}/").status_code == 403


def test_map_data_is_public_without_private_fields_and_marks_overdue(cw, client):
    resident = cw.world.resident()
    report = services.submit_report(
        actor=resident.user, report=cw.new_report(description="私密描述", photo=png())
    )
    clock.freeze(T0 + dt.timedelta(hours=49))
    slug = cw.world.community.slug
    body = client.get(f"/civic/map/reports.json?community={slug}").json()
    (point,) = body["reports"]
    assert point["id"] == report.pk and point["overdue"] is True
    assert set(point) == {
        "id",
        "lat",
        "lng",
        "category",
        "status",
        "status_label",
        "overdue",
        "created",
    }
    assert "私密描述" not in str(body)
    assert body["cells"][0]["count"] == 1
    only_overdue = client.get(f"/civic/map/reports.json?community={slug}&overdue=1")
    assert len(only_overdue.json()["reports"]) == 1
    done = client.get(f"/civic/map/reports.json?community={slug}&status=closed")
    assert done.json()["reports"] == []


@pytest.mark.parametrize(
    "query",
    [
        "overdue=yes",
        "status=lost",
        "category=abc",
        "category=999999",
        "community=nowhere",
    ],
)
def test_map_filters_refuse_bad_values_with_400(cw, client, query):
    slug = cw.world.community.slug
    q = query if query.startswith("community") else f"community={slug}&{query}"
    resp = client.get(f"/civic/map/reports.json?{q}")
    assert resp.status_code == 400
    assert resp.json()["field"] in {"overdue", "status", "category", "community"}
    assert client.get(f"/civic/map/?{q}").status_code == 400


def test_stats_page_shows_months_with_rate_and_handling_time(cw, client):
    resident = cw.world.resident()
    report = services.submit_report(actor=resident.user, report=cw.new_report())
    clock.freeze(T0 + dt.timedelta(hours=5, minutes=15))
    services.resolve_report(actor=cw.staff, report=report, reply="已修")
    page = client.get(
        f"/civic/stats/?community={cw.world.community.slug}"
    ).content.decode()
    assert "2026-11" in page
    assert "100.0%" in page
    assert "05:15" in page
    assert 'id="civic-chart"' in page
