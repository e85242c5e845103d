"""Open311 GeoReport v2 conformance, checked against the spec's example documents.

The skeletons below keep the element names and their order from the example
responses of http://wiki.open311.org/GeoReport_v2 (values left out): GET
Service List, GET Service Definition, POST Service Request, GET
service_request_id from a token, GET Service Request(s) and Errors. Our XML
must have the same root, item and child elements in the same order, and our
JSON the same keys in the same order (the spec's JSON is the Spark mapping
of its XML).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client, TestCase

from quarter.civic import services
from quarter.civic.models import ApiClient, Report
from quarter.civic.tests.factories import CivicWorld
from quarter.core import clock
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db

SPEC_SERVICES = """<?xml version="1.0" encoding="utf-8"?>
<services><service><service_code/><service_name/><description/><metadata/>
<type/><keywords/><group/></service></services>"""

SPEC_SERVICE_DEFINITION = """<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code/><attributes><attribute><variable/><code/>
<datatype/><required/><datatype_description/><order/><description/>
<values><value><key/><name/></value></values></attribute></attributes>
</service_definition>"""

SPEC_POST_RESPONSE_TOKEN = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><token/><service_notice/><account_id/></request>
</service_requests>"""

SPEC_TOKEN = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id/><token/></request>
</service_requests>"""

SPEC_REQUESTS = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id/><status/><status_notes/>
<service_name/><service_code/><description/><agency_responsible/>
<service_notice/><requested_datetime/><updated_datetime/><expected_datetime/>
<address/><address_id/><zipcode/><lat/><long/><media_url/></request>
</service_requests>"""

SPEC_ERRORS = """<?xml version="1.0" encoding="utf-8"?>
<errors><error><code/><description/></error></errors>"""

BASE = "/open311/v2"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.SHANGHAI)


def shape(el: ET.Element) -> tuple:
    """An element's name and its children's shapes (the first of repeated items)."""
    seen, kids = set(), []
    for child in el:
        if child.tag in seen:
            continue
        seen.add(child.tag)
        kids.append(shape(child))
    return (el.tag, tuple(kids))


def xml_of(resp) -> ET.Element:
    assert resp["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(resp.content)


def keys_of(spec_xml: str) -> list[str]:
    """The child names, in order, of the spec skeleton's first item."""
    root = ET.fromstring(spec_xml.encode())
    first = root[0] if len(root) and len(root[0]) else root
    return [c.tag for c in first]


@pytest.fixture
def cw(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clock.freeze(T0)
    return CivicWorld()


@pytest.fixture
def key(cw):
    _, key = services.create_api_client(
        actor=cw.world.operator_user, name="12345热线", community=cw.world.community
    )
    return key


def _post(client, key, cw, **extra):
    data = {
        "api_key": key,
        "service_code": "street-lamp",
        "lat": "30.2601",
        "long": "120.1702",
        "address_string": "东河小区3栋",
        "description": "路灯不亮",
        "email": "someone@example.com",
        "phone": "13912345678",
        "first_name": "Zhang",
        "last_name": "San",
        "device_id": "dev-1",
        "account_id": "acc-1",
    }
    data.update(extra)
    return client.post(f"{BASE}/requests.xml", data)


def test_service_list_matches_the_spec_example_in_xml_and_json(cw, client):
    root = xml_of(client.get(f"{BASE}/services.xml"))
    assert shape(root) == shape(ET.fromstring(SPEC_SERVICES.encode()))
    lamp = root[0]
    assert lamp.findtext("service_code") == "street-lamp"
    assert lamp.findtext("service_name") == "路灯损坏"
    assert lamp.findtext("metadata") == "false"
    assert lamp.findtext("type") == "batch"
    assert [s.findtext("service_code") for s in root] == [
        "street-lamp",
        "shop-complaint",
        "other",
    ]

    resp = client.get(f"{BASE}/services.json")
    assert resp["Content-Type"] == "application/json; charset=utf-8"
    body = resp.json()
    assert [list(s) for s in body] == [keys_of(SPEC_SERVICES)] * 3
    assert body[1]["metadata"] is True
    assert body[2]["group"] is None  # empty value: null, as in the spec's JSON


def test_service_definition_matches_the_spec_example(cw, client):
    root = xml_of(client.get(f"{BASE}/services/shop-complaint.xml"))
    assert shape(root) == shape(ET.fromstring(SPEC_SERVICE_DEFINITION.encode()))
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("datatype") == "singlevaluelist"
    assert attribute.findtext("required") == "false"
    assert [v.findtext("name") for v in attribute.find("values")] == ["东河早餐店"]

    body = client.get(f"{BASE}/services/shop-complaint.json").json()
    assert list(body) == ["service_code", "attributes"]
    attr = body["attributes"][0]
    assert list(attr) == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert attr["datatype_description"] is None
    assert list(attr["values"][0]) == ["key", "name"]
    assert client.get(f"{BASE}/services/street-lamp.json").json()["attributes"] == []


def test_unknown_service_code_is_404_in_the_spec_error_format(cw, client):
    resp = client.get(f"{BASE}/services/nope.xml")
    assert resp.status_code == 404
    root = xml_of(resp)
    assert shape(root) == shape(ET.fromstring(SPEC_ERRORS.encode()))
    assert root.findtext("error/code") == "404"
    body = client.get(f"{BASE}/services/nope.json").json()
    assert list(body[0]) == ["code", "description"]
    assert body[0]["code"] == 404


def test_post_without_or_with_a_wrong_api_key_is_403(cw, client, key):
    resp = _post(client, "", cw)
    assert resp.status_code == 403
    assert xml_of(resp).findtext("error/code") == "403"
    resp = client.post(
        f"{BASE}/requests.json", {"api_key": key + "x", "service_code": "street-lamp"}
    )
    assert resp.status_code == 403
    assert "api_key" in resp.json()[0]["description"]
    ApiClient.objects.update(active=False)
    assert _post(client, key, cw).status_code == 403
    assert Report.objects.count() == 0


def test_post_then_token_then_request_follow_the_spec(cw, key):
    client = Client(enforce_csrf_checks=True)  # token-based: no CSRF cookie needed
    with TestCase.captureOnCommitCallbacks(execute=True):
        resp = _post(client, key, cw)
    assert resp.status_code == 200, resp.content
    root = xml_of(resp)
    assert shape(root) == shape(ET.fromstring(SPEC_POST_RESPONSE_TOKEN.encode()))
    token = root.findtext("request/token")
    assert root.findtext("request/account_id") == ""

    root = xml_of(client.get(f"{BASE}/tokens/{token}.xml"))
    assert shape(root) == shape(ET.fromstring(SPEC_TOKEN.encode()))
    report = Report.objects.get()
    assert root.findtext("request/service_request_id") == str(report.pk)
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": str(report.pk), "token": token}
    ]

    resp = client.get(f"{BASE}/requests/{report.pk}.xml")
    root = xml_of(resp)
    assert shape(root) == shape(ET.fromstring(SPEC_REQUESTS.encode()))
    req = root.find("request")
    assert req.findtext("status") == "open"
    assert req.findtext("status_notes").startswith("dispatched")
    assert req.findtext("agency_responsible") == cw.lighting.name
    assert req.findtext("requested_datetime") == "2026-11-02T09:00:00+08:00"
    assert req.findtext("expected_datetime") == "2026-11-04T09:00:00+08:00"
    assert req.findtext("address") == "东河小区3栋"
    assert float(req.findtext("lat")) == 30.2601

    body = client.get(f"{BASE}/requests/{report.pk}.json").json()
    assert [list(r) for r in body] == [keys_of(SPEC_REQUESTS)]
    assert body[0]["long"] == 120.1702
    # Nothing about who reported it is kept or shown.
    assert report.reporter is None
    for private in ("someone@example.com", "13912345678", "Zhang", "dev-1", "acc-1"):
        assert private not in resp.content.decode()
        assert private not in json.dumps(body, ensure_ascii=False)


def test_status_is_closed_once_resolved_with_the_state_in_notes(cw, client):
    resident = cw.world.resident()
    report = services.submit_report(actor=resident.user, report=cw.new_report())
    services.resolve_report(actor=cw.staff, report=report, reply="已修复")
    req = xml_of(client.get(f"{BASE}/requests/{report.pk}.xml")).find("request")
    assert req.findtext("status") == "closed"
    assert req.findtext("status_notes") == "resolved: 已办结"
    # The web reporter's identity is not shown either.
    assert resident.phone not in client.get(f"{BASE}/requests.xml").content.decode()


def test_get_requests_filters(cw, client):
    resident = cw.world.resident()
    a = services.submit_report(actor=resident.user, report=cw.new_report())
    clock.freeze(T0 + dt.timedelta(days=5))
    b = services.submit_report(
        actor=resident.user, report=cw.new_report(category=cw.other)
    )
    services.resolve_report(actor=cw.staff, report=a, reply="已修复")

    def ids(query):
        resp = client.get(f"{BASE}/requests.json?{query}")
        assert resp.status_code == 200, resp.content
        return [int(r["service_request_id"]) for r in resp.json()]

    assert ids("") == [b.pk, a.pk]
    assert ids("status=open") == [b.pk]
    assert ids("status=closed") == [a.pk]
    assert ids("status=open,closed") == [b.pk, a.pk]
    assert ids("service_code=street-lamp") == [a.pk]
    assert ids(f"service_request_id={a.pk},{b.pk}&status=open") == [b.pk, a.pk]
    assert ids("start_date=2026-11-03T00:00:00Z") == [b.pk]
    assert ids("end_date=2026-11-03T00:00:00%2B08:00") == [a.pk]
    assert ids("start_date=2026-10-01T00:00:00Z&end_date=2026-11-03T00:00:00Z") == [
        a.pk
    ]


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
            400,
            "90 days",
        ),
        ("start_date=2026-11-02", 400, "w3"),
        ("start_date=yesterday", 400, "w3"),
        (
            "end_date=2026-11-01T00:00:00Z&start_date=2026-11-05T00:00:00Z",
            400,
            "before",
        ),
        ("status=pending", 400, "open, closed"),
        ("service_request_id=1;DROP", 400, "not a number"),
        ("service_code=nope", 404, "not found"),
        ("jurisdiction_id=nowhere", 404, "jurisdiction_id"),
        ("start_date=9999-99-99T99:99:99Z", 400, "w3"),
    ],
)
def test_get_requests_refuses_bad_input_in_the_error_format(
    cw, client, query, status, words
):
    for fmt in ("xml", "json"):
        resp = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert resp.status_code == status, (fmt, resp.content)
        if fmt == "xml":
            assert words in xml_of(resp).findtext("error/description")
        else:
            assert words in resp.json()[0]["description"]


def test_post_refuses_bad_input_with_400_or_404(cw, client, key):
    cases = [
        ({"service_code": ""}, 400),
        ({"service_code": "nope"}, 404),
        ({"lat": ""}, 400),
        ({"lat": "NaN"}, 400),
        ({"long": "1e999"}, 400),
        ({"lat": "39.9", "long": "116.4"}, 400),  # far from the community
        ({"description": ""}, 400),
        ({"description": "x" * 4001}, 400),
        ({"service_code": "shop-complaint", "attribute[merchant]": "abc"}, 400),
        ({"service_code": "shop-complaint", "attribute[merchant]": "999999"}, 400),
        ({"attribute[merchant]": "1"}, 400),
        ({"jurisdiction_id": "nowhere"}, 404),
    ]
    for change, status in cases:
        resp = _post(client, key, cw, **change)
        assert resp.status_code == status, (change, resp.content)
        assert xml_of(resp).findtext("error/code") == str(status)
    assert Report.objects.count() == 0


def test_jurisdiction_is_required_when_the_endpoint_serves_several(cw, client):
    other = CivicWorld()
    resp = client.get(f"{BASE}/services.json")
    assert resp.status_code == 400
    assert "jurisdiction_id" in resp.json()[0]["description"]
    resp = client.get(
        f"{BASE}/services.json?jurisdiction_id={other.world.community.slug}"
    )
    assert resp.status_code == 200
    assert len(resp.json()) == 3


def test_unknown_format_and_path_answer_in_the_error_format(cw, client):
    resp = client.get(f"{BASE}/services.csv")
    assert resp.status_code == 400
    assert xml_of(resp).findtext("error/code") == "400"
    resp = client.get(f"{BASE}/discovery.json")
    assert resp.status_code == 404
    assert resp.json()[0]["code"] == 404
    assert client.get(f"{BASE}/requests/99999.xml").status_code == 404
    assert client.get(f"{BASE}/tokens/nope.json").status_code == 404
    assert client.delete(f"{BASE}/requests.xml").status_code == 405


def test_the_key_is_stored_only_as_a_hash(cw, key):
    stored = ApiClient.objects.get()
    assert key not in (stored.key_hash, stored.key_prefix)
    assert services.client_for_key(key) == stored
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert services.client_for_key(wrong) is None


def _placed_post(client, key, cw, **extra):
    """A POST without lat/long, as a hotline that knows only addresses sends it."""
    data = {"api_key": key, "service_code": "street-lamp", "description": "路灯不亮"}
    data.update(extra)
    return client.post(f"{BASE}/requests.json", data)


def _request_of(client, resp) -> dict:
    token = resp.json()[0]["token"]
    rid = client.get(f"{BASE}/tokens/{token}.json").json()[0]["service_request_id"]
    return client.get(f"{BASE}/requests/{rid}.json").json()[0]


def test_an_address_string_naming_a_compound_places_the_request_there(cw, client, key):
    compound = cw.world.compound
    resp = _placed_post(client, key, cw, address_string=f"{compound.name}3栋门口")
    assert resp.status_code == 200, resp.content
    record = _request_of(client, resp)
    assert (record["lat"], record["long"]) == (compound.lat, compound.lng)
    assert record["address_id"] == str(compound.pk)
    assert record["address"] == f"{compound.name}3栋门口"


def test_an_address_id_alone_places_the_request_at_that_compound(cw, client, key):
    compound = cw.world.compound
    resp = _placed_post(client, key, cw, address_id=str(compound.pk))
    assert resp.status_code == 200, resp.content
    record = _request_of(client, resp)
    assert (record["lat"], record["address"]) == (compound.lat, compound.name)


def test_an_address_that_names_no_compound_of_the_jurisdiction_is_refused(
    cw, client, key
):
    other = World()  # another community's compound
    cases = [
        {"address_string": "火星路1号"},
        {"address_id": str(other.compound.pk)},
        {"address_id": "abc"},
        {},
    ]
    for extra in cases:
        resp = _placed_post(client, key, cw, **extra)
        assert resp.status_code == 400, (extra, resp.content)
        assert (
            "lat" in resp.json()[0]["description"]
            or "address" in (resp.json()[0]["description"])
        )
    assert Report.objects.count() == 0


def test_media_url_is_kept_as_a_link_and_returned_never_fetched(cw, client, key):
    resp = _post(client, key, cw, media_url="https://hotline.example/p/1.jpg")
    assert resp.status_code == 200, resp.content
    report = Report.objects.get()
    assert report.media_url == "https://hotline.example/p/1.jpg"
    detail = client.get(f"{BASE}/requests/{report.pk}.json").json()[0]
    assert detail["media_url"] == "https://hotline.example/p/1.jpg"
    bad = _post(client, key, cw, media_url="javascript:alert(1)")
    assert bad.status_code == 400
    assert Report.objects.count() == 1
