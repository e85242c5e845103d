"""WGS-84 <-> GCJ-02 against published reference points, in Python and in JS."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest

from quarter.maps.gcj02 import gcj_to_wgs, wgs_to_gcj

# (wgs_lat, wgs_lng, gcj_lat, gcj_lng): the test points of eviltransform
# (github.com/googollee/eviltransform, Shanghai, Shenzhen, Beijing) and the
# README example of coordtransform (github.com/wandergis/coordtransform).
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
]
JS = Path(__file__).resolve().parents[3] / "static" / "maps" / "gcj02.js"


def metres(a, b) -> float:
    dlat = (a[0] - b[0]) * 111_195
    dlng = (a[1] - b[1]) * 111_195 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlng)


@pytest.mark.parametrize("point", REFERENCE)
def test_wgs_to_gcj_matches_published_points(point):
    wlat, wlng, glat, glng = point
    assert wgs_to_gcj(wlat, wlng) == pytest.approx((glat, glng), abs=1e-9)


@pytest.mark.parametrize("point", REFERENCE)
def test_gcj_to_wgs_returns_the_published_origin_within_a_metre(point):
    wlat, wlng, glat, glng = point
    assert metres(gcj_to_wgs(glat, glng), (wlat, wlng)) < 0.01


def test_round_trip_within_one_metre_across_china():
    worst = 0.0
    for lat in [18.25, 22.3, 30.69, 39.99, 45.75, 53.0]:
        for lng in [87.6, 104.06, 113.9, 116.33, 121.47, 126.6]:
            back = gcj_to_wgs(*wgs_to_gcj(lat, lng))
            worst = max(worst, metres(back, (lat, lng)))
    assert worst < 1.0


def test_the_shift_is_hundreds_of_metres_in_beijing_and_none_abroad():
    assert 300 < metres(wgs_to_gcj(40.0008, 116.3268), (40.0008, 116.3268)) < 800
    assert wgs_to_gcj(60.17, 24.94) == (60.17, 24.94)  # Helsinki
    assert gcj_to_wgs(60.17, 24.94) == (60.17, 24.94)


def test_js_module_matches_the_same_points_and_python():
    script = f"""
const g = require({json.dumps(str(JS))});
const points = {json.dumps(REFERENCE)};
const out = points.map(p => [g.wgsToGcj(p[0], p[1]), g.gcjToWgs(p[2], p[3])]);
console.log(JSON.stringify(out));
"""
    # node comes with `make install` (npm ci); the browser runs the same file.
    out = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    for (wlat, wlng, glat, glng), (gcj, wgs) in zip(
        REFERENCE, json.loads(out), strict=True
    ):
        assert gcj == pytest.approx([glat, glng], abs=1e-9)
        assert metres(wgs, (wlat, wlng)) < 0.01
        assert gcj == pytest.approx(list(wgs_to_gcj(wlat, wlng)), abs=1e-12)
