"""Who may read the map layers.

The street layer is public, like the residents' map (/map/) it draws under: it
holds street names from OpenStreetMap and compound names, which that page
already shows to anyone. Households and people are never in it.
"""

from __future__ import annotations


def can_view_street_layer(actor) -> bool:
    """Anyone, signed in or not, may read street tiles."""
    return True
