"""Residents' photos get unguessable names: never the name the phone gave the file."""

from __future__ import annotations

import re

from quarter.core.uploads import UnguessableName


def test_name_is_random_hex_with_a_safe_extension():
    name = UnguessableName("civic")
    first = name(None, "IMG_0001.JPG")
    assert re.fullmatch(r"civic/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", first)
    assert first != name(None, "IMG_0001.JPG")
    assert "IMG_0001" not in first


def test_a_strange_extension_is_dropped():
    assert re.fullmatch(
        r"ratings/\d{4}/\d{2}/[0-9a-f]{32}", UnguessableName("ratings")(None, "x.<svg>")
    )
