"""Rate-limit counters live in an UNLOGGED table on PostgreSQL.

They matter for ten seconds and are worthless after a crash, so they should
not cost a write-ahead-log flush on every claim: an unlogged table is not
written to the WAL, and a transaction that touched only it commits without
waiting for the disk. (SQLite has no such thing; nothing changes there.)
"""

from django.db import migrations


def _set(logged: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(
            apps.get_model("vouchers", "RateCounter")._meta.db_table
        )
        schema_editor.execute(
            f"ALTER TABLE {table} SET {'LOGGED' if logged else 'UNLOGGED'}"
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0004_claim_campaign_week"),
    ]

    operations = [migrations.RunPython(_set(False), _set(True))]
