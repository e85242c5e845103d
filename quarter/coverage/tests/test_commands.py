"""The import_osm and compute_coverage management commands."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from quarter.coverage.models import CoverageRun, StreetNetwork
from quarter.coverage.tests.factories import (
    LAT0,
    east,
    make_community,
    make_compound,
    write_street_osm,
)
from quarter.places.models import Merchant

pytestmark = pytest.mark.django_db


def test_import_osm_imports_network_and_shops(tmp_path):
    community = make_community(slug="jinxiu", lat=LAT0, lng=east(1000))
    make_compound(community, lat=LAT0, lng=east(500))
    out = io.StringIO()
    call_command(
        "import_osm",
        str(write_street_osm(tmp_path / "s.osm")),
        "--shops",
        "--community",
        "jinxiu",
        "--no-progress",
        stdout=out,
    )
    text = out.getvalue()
    assert "31 个节点" in text and "新增待审核商户 2 个" in text and "锦绣社区" in text
    assert StreetNetwork.objects.count() == 1
    assert (
        Merchant.objects.filter(community=community, admission="applied").count() == 2
    )
    assert CoverageRun.objects.get(community=community).estimated is False


def test_import_osm_reports_bad_input_without_writing(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not osm")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_osm", str(bad), "--no-progress")
    good = write_street_osm(tmp_path / "s.osm")
    with pytest.raises(CommandError, match="没有可步行的道路"):
        call_command(
            "import_osm", str(good), "--bbox", "10,10,10.1,10.1", "--no-progress"
        )
    with pytest.raises(CommandError, match="--bbox"):
        call_command("import_osm", str(good), "--bbox", "1,2,3", "--no-progress")
    with pytest.raises(CommandError, match="导入商户时须指定社区"):
        call_command("import_osm", str(good), "--shops", "--no-progress")
    assert not StreetNetwork.objects.exists()


def test_compute_coverage_all_and_unknown():
    community = make_community(slug="donghe")
    make_compound(community)
    out = io.StringIO()
    call_command("compute_coverage", stdout=out)
    assert "估算" in out.getvalue()
    assert CoverageRun.objects.filter(community=community).exists()
    with pytest.raises(CommandError):
        call_command("compute_coverage", "nowhere")
