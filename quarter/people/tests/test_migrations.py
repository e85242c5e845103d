"""The PIPL data migration: birth dates become years, masks lose the birth digits."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("people", "0003_role_groups")]
AFTER = [("people", "0005_drop_resident_birth_date")]


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_birth_year_only_and_shortens_masks():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("people", "User").objects.create(username="13800001234")
    old.get_model("people", "Resident").objects.create(
        user=user,
        phone="13800001234",
        real_name="潘建国",
        id_hash="h" * 64,
        id_masked="4205**********0118",
        birth_date=dt.date(1956, 3, 12),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward to every app's latest migration, as the rest of the suite expects.
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(AFTER).apps
    resident = new.get_model("people", "Resident").objects.get()
    assert resident.birth_year == 1956
    assert resident.id_masked == "4205************18"
    columns = [
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), "people_resident"
        )
    ]
    assert "birth_date" not in columns
