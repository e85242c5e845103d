"""Compounds' walking reach, stored as one distance array per (community, type).

A community's figures used to be one `CompoundReach` row per compound ×
business type (254,000 rows for Malta's 9,409 buildings × 27 types); writing
them took most of a recompute (ORM: ~70 %; even one executemany on SQLite
took 14 s under load). Now each type is one `ReachArray` row holding the
compound ids and the metres as raw numpy bytes: a full recompute writes 27
rows, a shop's update one or two. `distances_of` reads them back as
{(compound_id, type_id): metres or None}, the shape every reader used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.db import connection

from quarter.coverage.models import ReachArray

_IDS = np.dtype("<i8")
_METRES = np.dtype("<f8")


def replace_reach(
    community,
    compound_ids: Sequence[int],
    distances: dict[int, np.ndarray],
    *,
    estimated: bool,
    all_types: bool = False,
) -> int:
    """Store `distances[type_id]` (metres per compound, in `compound_ids` order;
    inf: none within the cap) for the community; with `all_types` every other
    type's array goes. Returns the number of arrays written. Runs inside the
    caller's transaction (which holds the community's lock).
    """
    ids = np.asarray(compound_ids, dtype=_IDS).tobytes()
    stale = ReachArray.objects.filter(community=community)
    if not all_types:
        stale = stale.filter(business_type_id__in=list(distances))
    stale.delete()
    ReachArray.objects.bulk_create(
        ReachArray(
            community=community,
            business_type_id=type_id,
            compound_ids=ids,
            distances=_encode(dist),
            estimated=estimated,
        )
        for type_id, dist in distances.items()
    )
    return len(distances)


def street_access_bytes(compound_ids, off_street_m) -> dict[str, bytes]:
    """CoverageRun's `compound_ids` and `off_street_m` fields for these arrays."""
    return {
        "compound_ids": np.asarray(compound_ids, dtype=_IDS).tobytes(),
        "off_street_m": np.round(np.asarray(off_street_m, dtype=_METRES), 1).tobytes(),
    }


def off_street_of(run) -> dict[int, float]:
    """{compound_id: metres to the nearest walkable edge} of a coverage run."""
    if run is None:
        return {}
    ids = np.frombuffer(bytes(run.compound_ids), dtype=_IDS)
    metres = np.frombuffer(bytes(run.off_street_m), dtype=_METRES)
    return dict(zip(ids.tolist(), metres.tolist(), strict=True))


def _encode(dist) -> bytes:
    dist = np.asarray(dist, dtype=_METRES)
    rounded = np.round(dist, 1)
    rounded[~np.isfinite(dist)] = np.nan
    return rounded.tobytes()


def insert_rows(model, names: Sequence[str], rows: list[tuple]) -> None:
    """INSERT plain tuples (columns `names`, by attname) with one executemany.

    `bulk_create` builds a model instance per row and compiles SQL for every
    batch of a few hundred (SQLite allows 999 parameters a statement); for
    the 9,409 rows per recompute of Malta (when each compound had its own
    street-access row) that cost more than the searches.
    Values go as they are, except JSON fields, adapted as the field's
    `get_db_prep_save` would (which costs three times the encoding itself
    when called per row). No signals, no returned pks.
    """
    if not rows:
        return
    fields = [model._meta.get_field(n) for n in names]
    adapt = connection.ops.adapt_json_value
    encoders = {
        i: f.encoder
        for i, f in enumerate(fields)
        if f.get_internal_type() == "JSONField"
    }
    if encoders:
        rows = [
            tuple(
                adapt(v, encoders[i]) if i in encoders and v is not None else v
                for i, v in enumerate(row)
            )
            for row in rows
        ]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def arrays_of(community) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """{type_id: (compound ids, metres with NaN for none)} of a community."""
    return arrays_of_many([community.pk]).get(community.pk, {})


Arrays = dict[int, tuple[np.ndarray, np.ndarray]]


def arrays_of_many(community_ids) -> dict[int, Arrays]:
    """{community_id: {type_id: (compound ids, metres with NaN)}} in one query."""
    out: dict[int, dict] = {}
    for community_id, type_id, ids, dist in ReachArray.objects.filter(
        community_id__in=list(community_ids)
    ).values_list("community_id", "business_type_id", "compound_ids", "distances"):
        out.setdefault(community_id, {})[type_id] = (
            np.frombuffer(bytes(ids), dtype=_IDS),
            np.frombuffer(bytes(dist), dtype=_METRES),
        )
    return out


def distances_of(community) -> dict[tuple[int, int], float | None]:
    """{(compound_id, type_id): metres, or None beyond the cap} of a community."""
    out = {}
    for type_id, (ids, dist) in arrays_of(community).items():
        for cid, d in zip(ids.tolist(), dist.tolist(), strict=True):
            out[(cid, type_id)] = None if d != d else d  # NaN: none
    return out


def distance(compound, type_code: str) -> float | None:
    """Stored metres from one compound to the nearest `type_code` (None: none)."""
    row = (
        ReachArray.objects.filter(
            community_id=compound.community_id, business_type__code=type_code
        )
        .values_list("business_type_id", "compound_ids", "distances")
        .first()
    )
    if row is None:
        raise ReachArray.DoesNotExist(f"no stored reach for {type_code}")
    ids = np.frombuffer(bytes(row[1]), dtype=_IDS)
    where = np.flatnonzero(ids == compound.pk)
    if not len(where):
        raise ReachArray.DoesNotExist(f"compound {compound.pk} not in the array")
    d = float(np.frombuffer(bytes(row[2]), dtype=_METRES)[where[0]])
    return None if d != d else d
