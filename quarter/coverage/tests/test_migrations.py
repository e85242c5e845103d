"""The street-access migration: per-compound rows become the run's two arrays."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from quarter.coverage import reach_store

BEFORE = [("coverage", "0004_reach_arrays"), ("places", "0010_merchant_employees")]
AFTER = [("coverage", "0005_street_access_arrays")]


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_each_compounds_metres_to_the_street():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    District = old.get_model("places", "District")
    district = District.objects.create(city="杭州市", name="西湖区")
    street = old.get_model("places", "StreetOffice").objects.create(
        district=district, name="北山街道"
    )
    community = old.get_model("places", "Community").objects.create(
        name="东河社区",
        slug="donghe-mig",
        street_office=street,
        area_km2=1,
        center_lat=30.25,
        center_lng=120.17,
    )
    Compound = old.get_model("places", "Compound")
    compounds = [
        Compound.objects.create(
            community=community,
            name=name,
            lat=30.25,
            lng=120.17,
            households=10,
            population=20,
        )
        for name in ("东苑", "西苑")
    ]
    old.get_model("coverage", "CoverageRun").objects.create(
        community=community,
        fingerprint="f" * 64,
        computed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    Access = old.get_model("coverage", "CompoundAccess")
    Access.objects.create(compound=compounds[0], off_street_m=12.5, estimated=False)
    Access.objects.create(compound=compounds[1], off_street_m=480.0, estimated=False)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    new = executor.loader.project_state(AFTER).apps
    run = new.get_model("coverage", "CoverageRun").objects.get()
    assert reach_store.off_street_of(run) == {
        compounds[0].pk: 12.5,
        compounds[1].pk: 480.0,
    }
    assert "coverage_compoundaccess" not in connection.introspection.table_names()
