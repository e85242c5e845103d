"""Compounds' metres to the street move from CompoundAccess rows to two arrays
on CoverageRun (one write per recompute instead of one row per compound)."""

import numpy as np
from django.db import migrations, models


def rows_to_arrays(apps, schema_editor):
    CoverageRun = apps.get_model("coverage", "CoverageRun")
    CompoundAccess = apps.get_model("coverage", "CompoundAccess")
    for run in CoverageRun.objects.all():
        pairs = list(
            CompoundAccess.objects.filter(compound__community_id=run.community_id)
            .order_by("compound_id")
            .values_list("compound_id", "off_street_m")
        )
        run.compound_ids = np.array([p[0] for p in pairs], dtype="<i8").tobytes()
        run.off_street_m = np.array([p[1] for p in pairs], dtype="<f8").tobytes()
        run.save(update_fields=["compound_ids", "off_street_m"])


class Migration(migrations.Migration):
    dependencies = [
        ("coverage", "0004_reach_arrays"),
    ]

    operations = [
        migrations.AddField(
            model_name="coveragerun",
            name="compound_ids",
            field=models.BinaryField(default=b"", verbose_name="小区编号"),
        ),
        migrations.AddField(
            model_name="coveragerun",
            name="off_street_m",
            field=models.BinaryField(default=b"", verbose_name="小区离街道的米数"),
        ),
        migrations.RunPython(rows_to_arrays, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="CompoundAccess",
        ),
    ]
