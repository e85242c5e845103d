"""Load the business-type catalogue and create the full-text index for search.

SQLite: an FTS5 table over MerchantSearchDocument, kept in sync by triggers.
PostgreSQL: a GIN index on to_tsvector('simple', tokens).
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE places_merchant_fts USING fts5("
    "tokens, content='places_merchantsearchdocument', content_rowid='merchant_id')",
    "CREATE TRIGGER places_msd_ai AFTER INSERT ON places_merchantsearchdocument BEGIN "
    "INSERT INTO places_merchant_fts(rowid, tokens) VALUES (new.merchant_id, new.tokens); END",
    "CREATE TRIGGER places_msd_ad AFTER DELETE ON places_merchantsearchdocument BEGIN "
    "INSERT INTO places_merchant_fts(places_merchant_fts, rowid, tokens) "
    "VALUES ('delete', old.merchant_id, old.tokens); END",
    "CREATE TRIGGER places_msd_au AFTER UPDATE ON places_merchantsearchdocument BEGIN "
    "INSERT INTO places_merchant_fts(places_merchant_fts, rowid, tokens) "
    "VALUES ('delete', old.merchant_id, old.tokens); "
    "INSERT INTO places_merchant_fts(rowid, tokens) VALUES (new.merchant_id, new.tokens); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS places_msd_au",
    "DROP TRIGGER IF EXISTS places_msd_ad",
    "DROP TRIGGER IF EXISTS places_msd_ai",
    "DROP TABLE IF EXISTS places_merchant_fts",
]
PG_UP = [
    "CREATE INDEX places_msd_tokens_gin ON places_merchantsearchdocument "
    "USING gin (to_tsvector('simple', tokens))",
]
PG_DOWN = ["DROP INDEX IF EXISTS places_msd_tokens_gin"]


def load_catalogue(apps, schema_editor):
    from quarter.places.catalogue import load_catalogue as load

    load(apps.get_model("places", "BusinessType"))


def create_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [
        migrations.RunPython(load_catalogue, migrations.RunPython.noop),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
