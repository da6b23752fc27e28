from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("referrals", "0004_field_history")]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["-created_at", "-id"], name="referral_newest_idx"),
        ),
    ]
