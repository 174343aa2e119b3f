from django.db import migrations, models

SCOPES = [
    ("ingest", "Ingest: sends events and sales only"),
    ("read", "Read: reads everything, changes nothing"),
    ("full", "Full: reads and writes everything but API keys"),
]


class Migration(migrations.Migration):
    """Keys made before scopes keep the powers they had (`full`), so no device stops working; new keys are
    `ingest` unless chosen otherwise."""

    dependencies = [
        ("venues", "0007_stream_url_checked"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="scope",
            field=models.CharField(choices=SCOPES, default="full", max_length=8),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="scope",
            field=models.CharField(
                choices=SCOPES, default="ingest", help_text="What the key may do; fixed once made.", max_length=8
            ),
        ),
    ]
