"""Lean SQL for the hot paths: multi-row inserts
without the ORM's per-call compile cost.

The ORM spends about a millisecond compiling each query; on the claim path, run
thousands of times a second in a rush, that is most of the work. These helpers
write plain parameterised SQL (PostgreSQL and SQLite ≥ 3.35 both accept
multi-row VALUES, ON CONFLICT and RETURNING) and still use each field's own
conversion of Python values, so dates and foreign keys are stored exactly as
the ORM would store them.

`copy_rows` is for bulk writes of thousands of rows (the claims persister): on
PostgreSQL it streams them with COPY, several times faster than a multi-row
INSERT, whose 5,000 placeholders psycopg parses and Django converts one by one.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

# SQLite allows 32,766 parameters per statement; stay well below.
MAX_PARAMS = 5000
# Fewer rows go in one INSERT: COPY with its id query costs two round trips.
COPY_FROM_ROWS = 20


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(
    model,
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    returning: Sequence[str] = (),
    skip_conflicts: bool = False,
) -> list[tuple]:
    """Insert `rows` (values in `columns` order) into `model`'s table.

    `columns` are field names or attnames (``round_id``). With `returning`,
    return those columns of the inserted rows; with `skip_conflicts`, rows
    that would violate a unique constraint are skipped (and not returned).
    """
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    head = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES "
    )
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(
            quote(meta.get_field(name).column) for name in returning
        )
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, MAX_PARAMS // len(fields))
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            params = [
                field.get_db_prep_save(value, connection)
                for row in part
                for field, value in zip(fields, row, strict=True)
            ]
            cursor.execute(head + ", ".join([one] * len(part)) + tail, params)
            if returning:
                out.extend(tuple(r) for r in cursor.fetchall())
    return out


def select_rows(sql: str, params: Sequence = ()) -> list[tuple]:
    """Run a read and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(r) for r in cursor.fetchall()]


def placeholders(n: int) -> str:
    """'%s, %s, %s' for an IN list of n values."""
    return ", ".join(["%s"] * n)


def copy_rows(
    model, columns: Sequence[str], rows: Sequence[Sequence], *, with_ids: bool = False
) -> list[int]:
    """Insert `rows` like `insert_rows`, as fast as the database allows.

    With `with_ids`, each row gets a new primary key, returned in row order.
    On PostgreSQL the ids are drawn from the table's sequence and the rows
    streamed with COPY; values go to psycopg as they are, so they must be
    what it adapts as the columns need (ints, strs, aware datetimes, None; no
    model instances). Elsewhere (SQLite), and for a few rows, this is
    `insert_rows`.
    """
    if not rows:
        return []
    meta = model._meta
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM_ROWS:
        returning = [meta.pk.attname] if with_ids else []
        inserted = insert_rows(model, columns, rows, returning=returning)
        return [r[0] for r in inserted]
    fields = [meta.get_field(name) for name in columns]
    names = [f.column for f in fields]
    ids: list[int] = []
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            names.insert(0, meta.pk.column)
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        statement = (
            f"COPY {quote(meta.db_table)} ({', '.join(quote(n) for n in names)}) "
            "FROM STDIN"
        )
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    return ids
