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
  Chinese name through `places.services.approve_merchant`; those OSM maps
  with no name or a foreign one stay 待审核: the planning page's 待审核商户
  list shows what approving each would add, the operator's task in the demo.

Its gaps are the real ones of the mapped area (no laundry, no hairdresser,
no wet market within 15 minutes of most compounds). Idempotent: does nothing
when the community exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction

from quarter.core.actors import SYSTEM
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
        for merchant in _named_candidates(community):
            places.approve_merchant(
                actor=operator, merchant=merchant, reason="演示:店名、位置已核实"
            )
    coverage.refresh_community(actor=SYSTEM, community=community)
    return community


def _named_candidates(community: Community) -> list[Merchant]:
    """Imported candidates with a Chinese name of their own (not the type's)."""
    pending = Merchant.objects.filter(
        community=community, admission=Admission.APPLIED
    ).select_related("main_type")
    return [
        m
        for m in pending.order_by("pk")
        if _CJK.search(m.name) and m.name != m.main_type.name_zh
    ]
