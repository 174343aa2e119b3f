"""The digest's time zone defaults to the venue's: empty means the tenant's first venue's zone. UTC was only ever
the default (nothing told a chosen UTC from it), so it becomes empty too."""

from django.db import migrations, models

import venues.validators


def utc_to_the_venues(apps, schema_editor):
    apps.get_model("alerts", "AlertSettings").objects.filter(time_zone="UTC").update(time_zone="")


def the_venues_to_utc(apps, schema_editor):
    apps.get_model("alerts", "AlertSettings").objects.filter(time_zone="").update(time_zone="UTC")


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="alertsettings",
            name="time_zone",
            field=models.CharField(
                blank=True,
                default="",
                help_text="IANA name for the digest's time; empty: the time zone of the tenant's first venue.",
                max_length=64,
                validators=[venues.validators.validate_time_zone],
            ),
        ),
        migrations.RunPython(utc_to_the_venues, the_venues_to_utc),
    ]
