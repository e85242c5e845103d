"""Verbs of the coverage app (walking reach is recomputed when merchants change)."""


def refresh_for_merchant(merchant_id: int) -> None:
    """Recompute the walking reach that depends on one merchant (filled in by coverage)."""
    return None
