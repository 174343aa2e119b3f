"""Tenants, memberships and API keys move from venues to core: the models only, as state (their tables keep the
names venues gave them, so no row is copied or lost), and their content types with them (admin history,
permissions)."""

import core.validators
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ("tenant", "membership", "apikey")


def content_types_move(apps, schema_editor, source="venues", target="core"):
    """The moved models' content types change app, so their admin history and permissions stay theirs (a fresh
    database has none yet: they are made after migrating)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_move_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="core", target="venues")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('venues', '0008_apikey_scope'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Tenant',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('slug', models.SlugField(max_length=80, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('face_processing', models.CharField(choices=[('off', 'Off: no face is analysed'), ('demographics', 'Age and gender only: no face embedding is computed'), ('returning', 'Age, gender and returning visitors (face embeddings)')], default='returning', help_text='Switching away from returning visitors erases every stored face embedding of the tenant.', max_length=16)),
                        ('reid_scope', models.CharField(choices=[('venue', 'Per venue: a visitor is recognised only in the venue where they were seen'), ('tenant', "Across all the tenant's venues")], default='venue', max_length=8)),
                        ('embedding_retention_days', models.PositiveSmallIntegerField(default=30, help_text='Face embeddings are deleted this many days after they were stored.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)])),
                        ('loyalty_window_days', models.PositiveSmallIntegerField(default=90, help_text="Loyalty tiers count a visitor's visit days within this many days.", validators=[django.core.validators.MinValueValidator(7), django.core.validators.MaxValueValidator(730)])),
                        ('loyalty_tiers', models.JSONField(default=core.validators.default_loyalty_tiers, help_text='Fewest visit days in the window for each tier above \'new\', e.g. {"occasional": 2, "regular": 4, "loyal": 8, "vip": 15}.', validators=[core.validators.validate_loyalty_tiers])),
                        ('blur_faces_in_clips', models.BooleanField(default=True, help_text='Blur the heads of the people in annotated review clips of video jobs.')),
                        ('clip_retention_days', models.PositiveSmallIntegerField(default=7, help_text='Review clips are deleted this many days after they were made.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(90)])),
                    ],
                    options={
                        'db_table': 'venues_tenant',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('scope', models.CharField(choices=[('ingest', 'Ingest: sends events and sales only'), ('read', 'Read: reads everything, changes nothing'), ('full', 'Full: reads and writes everything but API keys')], default='ingest', help_text='What the key may do; fixed once made.', max_length=8)),
                        ('prefix', models.CharField(editable=False, max_length=16, unique=True)),
                        ('hashed_key', models.CharField(editable=False, max_length=128)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('venue', models.ForeignKey(blank=True, help_text='Limit the key to this venue; empty: every venue of the tenant.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to='venues.venue')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.tenant')),
                    ],
                    options={
                        'verbose_name': 'API key',
                        'db_table': 'venues_apikey',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('owner', 'Owner'), ('analyst', 'Analyst'), ('viewer', 'Viewer')], default='viewer', max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='core.tenant')),
                    ],
                    options={
                        'db_table': 'venues_membership',
                        'ordering': ['tenant__name'],
                        'constraints': [models.UniqueConstraint(fields=('user', 'tenant'), name='membership_unique_user_tenant')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_move, content_types_move_back),
    ]
