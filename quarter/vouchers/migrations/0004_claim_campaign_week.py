"""Claims carry their campaign; the per-week limit becomes a unique constraint."""

import django.db.models.deletion
from django.db import migrations, models


def fill_campaign_and_week(apps, schema_editor):
    Claim = apps.get_model("vouchers", "Claim")
    Round = apps.get_model("vouchers", "Round")
    for round_ in Round.objects.all().iterator():
        claims = Claim.objects.filter(round=round_)
        claims.update(campaign_id=round_.campaign_id)
        if not (round_.person_limit == "week" and round_.mode == "first_come"):
            claims.update(week="")


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0003_cofunding"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="campaign",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="vouchers.campaign",
            ),
        ),
        migrations.RunPython(fill_campaign_and_week, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="claim",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="vouchers.campaign",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.UniqueConstraint(
                condition=models.Q(("week", ""), _negated=True),
                fields=("campaign", "person_hash", "week"),
                name="claim_one_per_person_per_week",
            ),
        ),
    ]
