"""Issue 12: the jobs that re-issue, under the key that signs now, the current certificate
versions a revoked signing key signed (a new table only; nothing existing is rebuilt)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from schema.models.documents import BatchStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_status_lists')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KeyReissueJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=32)),
                ('kid', fields.CharField(db_index=True, max_length=32)),
                ('since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('requested_by_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=BatchStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=BatchStatus, max_length=16)),
                ('total', fields.IntField()),
                ('done_count', fields.IntField(default=0)),
                ('error', fields.TextField(null=True, unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('lease_owner', fields.CharField(null=True, max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'key_reissue_job', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Re-issuing the current certificate versions a revoked key signed (a queued job).'},
            bases=['Model'],
        ),
    ]
