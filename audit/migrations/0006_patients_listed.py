"""A list, export or search writes one audit row holding every patient it showed."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_refuse_truncate")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="patient_ids",
            field=models.JSONField(blank=True, default=list, verbose_name="patients listed"),
        ),
    ]
