"""The resident register: import with a per-row preview, commit once, move away."""

import io

import pytest
from django.db import connection
from openpyxl import Workbook

from quarter.core.errors import DomainError
from quarter.people import register, services
from quarter.people.models import (
    RegisterEntry,
    RegisterEvent,
    RegisterImport,
    RegisterStatus,
)
from quarter.people.tests.factories import sign_up, valid_id
from quarter.places.tests.factories import make_community, make_compound, make_operator

pytestmark = pytest.mark.django_db

PAN = valid_id("19560312", 11)
ZHU = valid_id("19880605", 22)
LI = valid_id("19450101", 33)


@pytest.fixture
def place():
    community = make_community(name="东河社区", slug="donghe")
    compound = make_compound(community, name="河滨公寓")
    make_compound(community, name="东河苑")
    return community, compound, make_operator(community, "operator_donghe")


def _csv(rows, header="姓名,身份证号,小区,门牌") -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def _preview(place, data, filename="名册.csv"):
    community, _, operator = place
    return register.preview_register_import(
        actor=operator, community=community, data=data, filename=filename
    )


GOOD = [("潘建国", PAN, "河滨公寓", "3栋501"), ("朱丽华", ZHU, "东河苑", "1幢1203")]


def test_preview_shows_per_row_errors_and_commits_nothing(place):
    wrong_check = PAN[:17] + ("0" if PAN[17] != "0" else "1")
    rows = [
        *GOOD,
        ("李四", wrong_check, "河滨公寓", "1幢1"),
        ("王五", LI, "不存在小区", "1幢2"),
        ("潘建国", PAN, "河滨公寓", "3栋501"),
        ("", valid_id("19900101", 44), "河滨公寓", "1幢3"),
    ]
    batch = _preview(place, _csv(rows))
    outcomes = {r["line"]: (r["outcome"], r["message"]) for r in batch.rows}
    assert outcomes[2][0] == outcomes[3][0] == "new"
    assert outcomes[4] == ("error", "身份证号校验位不正确")
    assert outcomes[5][0] == "error" and "不存在小区" in outcomes[5][1]
    assert outcomes[6][0] == "error" and "第2行" in outcomes[6][1]
    assert outcomes[7][0] == "error" and "姓名" in outcomes[7][1]
    assert batch.counts == {"new": 2, "error": 4}
    assert RegisterEntry.objects.count() == 0


def test_commit_writes_valid_rows_and_reimport_is_idempotent(place):
    community, compound, operator = place
    batch = register.commit_register_import(
        actor=operator, batch=_preview(place, _csv(GOOD))
    )
    assert batch.counts["created"] == 2 and batch.rows == []
    first_ids = sorted(RegisterEntry.objects.values_list("pk", flat=True))
    again = _preview(place, _csv(GOOD))
    assert [r["outcome"] for r in again.rows] == ["unchanged", "unchanged"]
    register.commit_register_import(actor=operator, batch=again)
    assert sorted(RegisterEntry.objects.values_list("pk", flat=True)) == first_ids
    moved = _preview(place, _csv([("潘建国", PAN, "东河苑", "9幢9")]))
    assert moved.rows[0]["outcome"] == "update"
    register.commit_register_import(actor=operator, batch=moved)
    pan = RegisterEntry.objects.get(name="潘建国")
    assert (pan.compound.name, pan.address, pan.pk in first_ids) == (
        "东河苑",
        "9幢9",
        True,
    )
    assert RegisterEvent.objects.filter(kind="imported").count() == 3
    with pytest.raises(DomainError) as err:
        register.commit_register_import(actor=operator, batch=moved)
    assert err.value.code == "register_import_done"


def test_import_reads_xlsx_with_id_as_text_and_flags_numbers(place):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "小区", "门牌"])
    sheet.append(["潘建国", PAN, "河滨公寓", "3栋501"])
    sheet.append(["朱丽华", float(ZHU[:15]), "东河苑", "1幢1203"])
    buffer = io.BytesIO()
    book.save(buffer)
    batch = _preview(place, buffer.getvalue(), filename="roster.xlsx")
    assert [r["outcome"] for r in batch.rows] == ["new", "error"]
    assert "文本" in batch.rows[1]["message"]


def test_import_reads_gb18030_csv_from_excel(place):
    batch = _preview(place, _csv(GOOD).decode().encode("gb18030"))
    assert [r["name"] for r in batch.rows] == ["潘建国", "朱丽华"]


@pytest.mark.parametrize(
    "data,filename,code",
    [
        (b"", "a.csv", "register_file_invalid"),
        (b"x" * 100, "a.pdf", "register_file_invalid"),
        (b"PK\x03\x04junk", "a.csv", "register_file_invalid"),
        (b"name;phone\n1;2\n", "a.csv", "register_file_invalid"),
        (b"not a zip", "a.xlsx", "register_file_invalid"),
        (b"PK\x03\x04broken zip", "a.xlsx", "register_file_invalid"),
    ],
)
def test_import_refuses_unusable_files_and_writes_nothing(place, data, filename, code):
    with pytest.raises(DomainError) as err:
        _preview(place, data, filename)
    assert (err.value.code, err.value.field) == (code, "file")
    assert RegisterImport.objects.count() == 0


def test_import_refuses_a_file_over_the_size_limit(place, settings):
    settings.QUARTER_REGISTER_MAX_BYTES = 100
    with pytest.raises(DomainError) as err:
        _preview(place, _csv(GOOD * 5))
    assert err.value.code == "register_file_too_large"


def test_import_is_only_for_the_communitys_operator(place):
    community, _, _ = place
    other = make_operator(make_community(name="锦绣社区", slug="jinxiu"), "op_jx")
    with pytest.raises(DomainError) as err:
        register.preview_register_import(
            actor=other, community=community, data=_csv(GOOD), filename="a.csv"
        )
    assert err.value.code == "not_operator_of_community"


def test_moved_away_person_can_no_longer_verify(place):
    community, _, operator = place
    register.commit_register_import(actor=operator, batch=_preview(place, _csv(GOOD)))
    entry = RegisterEntry.objects.get(name="潘建国")
    with pytest.raises(DomainError) as err:
        register.mark_moved_away(actor=operator, entry=entry, reason=" ")
    assert err.value.code == "reason_required"
    register.mark_moved_away(actor=operator, entry=entry, reason="已搬到外地")
    entry.refresh_from_db()
    assert entry.status == RegisterStatus.MOVED_AWAY
    event = RegisterEvent.objects.get(kind="moved_away")
    assert (event.actor, event.reason, event.entry) == (operator, "已搬到外地", entry)
    resident = sign_up("13800001234")
    with pytest.raises(DomainError) as err:
        services.verify_real_name(
            actor=resident.user, name="潘建国", id_number=PAN, community=community
        )
    assert err.value.code == "not_on_register"
    with pytest.raises(DomainError) as err:
        register.mark_moved_away(actor=operator, entry=entry, reason="again")
    assert err.value.code == "already_moved_away"


def test_plaintext_id_number_appears_nowhere_in_the_database(place):
    community, _, operator = place
    batch = _preview(place, _csv(GOOD))
    register.commit_register_import(actor=operator, batch=_preview(place, _csv(GOOD)))
    register.discard_register_import(actor=operator, batch=batch)
    resident = sign_up("13800001234")
    services.verify_real_name(
        actor=resident.user, name="潘建国", id_number=PAN, community=community
    )
    needles = {PAN, ZHU, PAN[6:14], ZHU[6:14]}  # numbers and their birth dates
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row)
                found += [(table, n) for n in needles if n in text]
    assert found == []
    assert RegisterEntry.objects.count() == 2


def test_a_preview_older_than_a_day_cannot_be_committed_and_is_cleared(place):
    import datetime as dt

    from quarter.core import clock

    _, _, operator = place
    start = clock.now()
    clock.freeze(start)
    old = _preview(place, _csv(GOOD))
    clock.freeze(start + dt.timedelta(days=1, minutes=1))
    with pytest.raises(DomainError) as err:
        register.commit_register_import(actor=operator, batch=old)
    assert err.value.code == "register_import_done"
    _preview(place, _csv(GOOD))
    old.refresh_from_db()
    assert (old.state, old.rows) == ("discarded", [])
    assert RegisterEntry.objects.count() == 0


def test_import_page_previews_in_memory_and_refuses_big_files(
    client, place, settings, monkeypatch
):
    from django.core.files import uploadhandler
    from django.core.files.uploadedfile import SimpleUploadedFile

    def no_disk(*args, **kwargs):
        raise AssertionError("the roster was written to a temporary file")

    # Django's default handlers would spill this upload to disk; the page must not.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", no_disk)
    community, _, operator = place
    client.force_login(operator)
    client.handler.enforce_csrf_checks = True
    page = client.get("/admin/people/registerentry/import/")
    assert page.status_code == 200 and "导入居民名册" in page.content.decode()
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/admin/people/registerentry/import/",
        {
            "community": community.pk,
            "file": SimpleUploadedFile("名册.csv", _csv(GOOD), "text/csv"),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    batch = RegisterImport.objects.get()
    assert response["Location"].endswith(f"/import/{batch.pk}/")
    assert RegisterEntry.objects.count() == 0
    preview = client.get(response["Location"]).content.decode()
    assert "新增 2 人" in preview and PAN not in preview

    settings.QUARTER_REGISTER_MAX_BYTES = 1000
    big = _csv(GOOD) + b"#" * 5000
    response = client.post(
        "/admin/people/registerentry/import/",
        {
            "community": community.pk,
            "file": SimpleUploadedFile("big.csv", big, "text/csv"),
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 400 and "不能超过" in response.content.decode()
    assert RegisterImport.objects.count() == 1
    no_token = client.post(
        "/admin/people/registerentry/import/", {"community": community.pk}
    )
    assert no_token.status_code == 403
