"""Signal receivers: a write to a compound marks its community's compounds changed.

Whoever keeps a community's compounds in memory (coverage's engine) compares
`Community.compounds_stamp` before trusting them. Writes without signals
(queryset update, bulk_create) are marked by `CompoundQuerySet`.
"""

from __future__ import annotations

from quarter.places.models import Compound, mark_compounds_changed


def on_compound_saving(sender, instance: Compound, **kwargs) -> None:
    """A compound moved to another community changes the one it leaves too."""
    if instance.pk is None or instance._state.adding:
        return
    left = (
        Compound.objects.filter(pk=instance.pk)
        .exclude(community_id=instance.community_id)
        .values_list("community_id", flat=True)
        .first()
    )
    mark_compounds_changed([left])


def on_compound_written(sender, instance: Compound, **kwargs) -> None:
    mark_compounds_changed([instance.community_id])
