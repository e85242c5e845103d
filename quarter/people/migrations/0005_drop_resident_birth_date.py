"""Drop the stored birth date (PIPL): 0004 kept its year in `birth_year`.

Apart from 0004 so the data step and the ALTER TABLE run in separate
transactions on PostgreSQL.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_resident_register_phone_codes_access_log"),
    ]

    operations = [
        migrations.RemoveField(model_name="resident", name="birth_date"),
    ]
