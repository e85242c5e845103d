"""Writing walking reach in bulk: COPY on PostgreSQL, one executemany on SQLite.

A community's figures are one `CompoundReach` row per compound × business type
(51,000 rows for 1,888 compounds). Building a model instance per row and
letting `bulk_create` cut them into small INSERTs took ~70 % of a whole
recompute; here the rows go straight from the distance arrays to the
database: PostgreSQL's COPY (psycopg `cursor.copy`), or a single prepared
INSERT executed for every row on SQLite. The table, its constraint and every
reader stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from django.db import connection

from quarter.coverage.models import CompoundReach

_COLUMNS = ("compound_id", "business_type_id", "distance_m", "estimated")


def replace_reach(
    compound_ids: Sequence[int],
    distances: dict[int, np.ndarray],
    *,
    estimated: bool,
    stale=None,
) -> int:
    """Replace the rows of `compound_ids` × the types in `distances`.

    `distances[type_id]` holds metres per compound, in `compound_ids` order
    (inf: none within the computation cap, stored as NULL). `stale` is the
    queryset of rows to delete first (default: those compounds × those
    types). Returns the number of rows written. Runs inside the caller's
    transaction.
    """
    if stale is None:
        stale = CompoundReach.objects.filter(
            compound_id__in=list(compound_ids), business_type_id__in=list(distances)
        )
    stale.delete()
    rows = list(_rows(compound_ids, distances, estimated))
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        _executemany(rows)
    return len(rows)


def _rows(compound_ids, distances, estimated) -> Iterable[tuple]:
    ids = [int(c) for c in compound_ids]
    for type_id, dist in distances.items():
        dist = np.asarray(dist, dtype=np.float64)
        values = [
            round(d, 1) if ok else None
            for d, ok in zip(dist.tolist(), np.isfinite(dist).tolist(), strict=True)
        ]
        for compound_id, d in zip(ids, values, strict=True):
            yield (compound_id, int(type_id), d, bool(estimated))


def _table() -> str:
    return connection.ops.quote_name(CompoundReach._meta.db_table)


def _copy(rows: list[tuple]) -> None:
    columns = ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {_table()} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _executemany(rows: list[tuple]) -> None:
    columns = ", ".join(_COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {_table()} ({columns}) VALUES ({marks})", rows
        )
