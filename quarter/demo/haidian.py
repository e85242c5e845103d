"""The Haidian demo community: a real mainland walking network, compounds and shops.

学院路社区(演示), 海淀区, Beijing, on the OpenStreetMap extract shipped in
quarter/demo/data/ (built by scripts/make_demo_extract.py; © OpenStreetMap
contributors, ODbL 1.0, see the ATTRIBUTION file beside it). Everything goes
through the normal services, as an operator importing their area would:

* `coverage.services.import_network` reads the walking network (street names
  kept), the named `landuse=residential` areas as compounds — households
  estimated from building footprints: footprint × storeys (6 when untagged,
  2 for houses) ÷ 90 m² per flat, see quarter.coverage.osm_compounds — and
  the shops and amenities as candidate merchants (待审核);
* the demo operator `operator_haidian` approves the candidates that carry a
  Chinese name through `places.services.approve_merchant`, rejects those OSM
  gives no name (`reject_merchant`), and leaves the few with only a foreign
  name 待审核, for the operator to review in the demo.

Its gaps are the real ones of the mapped area (no laundry, no hairdresser,
no wet market within 15 minutes of most compounds). Idempotent: does nothing
when the community exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction

from quarter.places.models import Admission, Community, Merchant

EXTRACT = Path(__file__).parent / "data" / "haidian_qinghua_east_road.osm.pbf"
SLUG = "haidian"
CENTER = (40.0037, 116.3520)  # 清华东路 / 学清路, between the compounds
OPERATOR = "operator_haidian"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def load_haidian_demo() -> Community | None:
    """Create the community, its operator, network, compounds and shops, once."""
    from quarter.coverage import services as coverage
    from quarter.demo.services import _community, _user
    from quarter.people.models import Operator
    from quarter.places import services as places

    if Community.objects.filter(slug=SLUG).exists():
        return None
    with transaction.atomic():
        community = _community(
            "学院路社区(演示)",
            SLUG,
            "北京市",
            "海淀区",
            "学院路街道",
            "1.900",
            CENTER,
            "演示社区:北京市海淀区清华东路、学清路一带的真实步行路网。小区和商店来自"
            "OpenStreetMap(© OpenStreetMap 贡献者,ODbL),户数按楼栋占地面积估算。",
        )
        operator = _user(OPERATOR, roles=["operator"], staff=True)
        Operator.objects.create(user=operator, community=community)
        coverage.import_network(
            actor=operator,
            path=EXTRACT,
            name="海淀区 清华东路一带(OpenStreetMap)",
            community=community,
            import_shops=True,
            import_compounds=True,
        )
        named, unnamed = _candidates(community)
        for merchant in named:
            places.approve_merchant(
                actor=operator, merchant=merchant, reason="演示:店名、位置已核实"
            )
        for merchant in unnamed:
            places.reject_merchant(
                actor=operator,
                merchant=merchant,
                reason="OpenStreetMap 中没有店名,无法核实是哪家店",
            )
    coverage.refresh_community(community=community)
    return community


def _candidates(community: Community) -> tuple[list[Merchant], list[Merchant]]:
    """Imported candidates with a Chinese name of their own, and those with none.

    Candidates with only a foreign name are in neither: they wait for review.
    """
    pending = Merchant.objects.filter(
        community=community, admission=Admission.APPLIED
    ).select_related("main_type")
    named, unnamed = [], []
    for m in pending.order_by("pk"):
        if m.name == m.main_type.name_zh:
            unnamed.append(m)
        elif _CJK.search(m.name):
            named.append(m)
    return named, unnamed
