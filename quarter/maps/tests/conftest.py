"""Maps test fixtures: the real Wudaokou (Beijing) walking network, shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quarter.core.actors import SYSTEM

DATA = Path(
    os.environ.get("QUARTER_SHARED_DATA")
    or Path(__file__).resolve().parents[3].parent / "shared" / "data"
)
WUDAOKOU = DATA / "beijing_haidian" / "wudaokou.osm"
# 清华东门 area, inside the Wudaokou extract.
CENTRE = (40.0008, 116.3268)


@pytest.fixture
def wudaokou(db):
    """The Wudaokou walking network, imported through the normal import service."""
    from quarter.coverage import services

    return services.import_network(actor=SYSTEM, path=WUDAOKOU, name="五道口").network
