"""Tenants, memberships and API keys now live in core (core/0001_initial): venues forgets them (state only: the
tables stay, owned by core's models) and its tenant foreign keys point at core.Tenant, the same table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0003_tenant_in_core'),
        ('core', '0001_initial'),
        ('ingest', '0014_tenant_in_core'),
        ('reid', '0003_tenant_in_core'),
        ('venues', '0008_apikey_scope'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='membership',
                    name='tenant',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.AlterField(
                    model_name='venue',
                    name='tenant',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.tenant'),
                ),
                migrations.AlterField(
                    model_name='camera',
                    name='tenant',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.tenant'),
                ),
                migrations.AlterField(
                    model_name='zone',
                    name='tenant',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.tenant'),
                ),
                migrations.AlterField(
                    model_name='countingline',
                    name='tenant',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.tenant'),
                ),
                migrations.DeleteModel(
                    name='ApiKey',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
                migrations.DeleteModel(
                    name='Tenant',
                ),
            ],
        ),
    ]
