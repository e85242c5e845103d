"""The business-type catalogue file (data/business_types.json) and its loader."""

from __future__ import annotations

import json
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "data" / "business_types.json"


def load_catalogue(business_type_model) -> int:
    """Create or update every business type from the data file; return how many."""
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    for order, item in enumerate(data["types"]):
        business_type_model.objects.update_or_create(
            code=item["code"],
            defaults={
                "name_zh": item["zh"],
                "name_en": item["en"],
                "tier": item["tier"],
                "groupings": item["groupings"],
                "osm_tags": item["osm"],
                "keywords": item["keywords"],
                "sort_order": order,
            },
        )
    return len(data["types"])
