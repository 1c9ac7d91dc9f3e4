"""Issue 12: employer accounts (``employer``, one row per EMPLOYER account) and their batch
checks (``verification_batch``): two new tables.

``Role`` gained ``EMPLOYER``: the three role columns (``account.role``,
``audit_record.actor_role``, ``import_job.created_by_role``) are the very same ``VARCHAR(16)``
columns, only the field description changes, so those operations change the migration state
only (as 0005 does: Tortoise's ``AlterField`` would rebuild the tables on SQLite).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from schema.enums import Role
from schema.models.documents import BatchStatus
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class AlterFieldState(ops.AlterField):
    """``AlterField`` for a change that leaves the column as it is (state only)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0014_trust_root')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Employer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='employer', on_delete=OnDelete.RESTRICT)),
                ('organisation_name', fields.CharField(max_length=100)),
                ('credit_code', fields.CharField(db_index=True, max_length=18)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'employer', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The organisation of one employer account (统一社会信用代码 checked by GB 32100).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=32)),
                ('account_id', fields.IntField(db_index=True)),
                ('organisation_name', fields.CharField(max_length=100)),
                ('credit_code', fields.CharField(max_length=18)),
                ('lines', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('as_of', fields.DateField(null=True)),
                ('status', fields.CharEnumField(default=BatchStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=BatchStatus, max_length=16)),
                ('total', fields.IntField()),
                ('done_count', fields.IntField(default=0)),
                ('summary', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('report_sha256', fields.CharField(null=True, max_length=64)),
                ('report_size', fields.IntField(null=True)),
                ('report_kid', fields.CharField(null=True, max_length=64)),
                ('error', fields.TextField(null=True, unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('lease_owner', fields.CharField(null=True, max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'verification_batch', 'app': 'models', 'pk_attr': 'id', 'table_description': "An employer's batch check (a queued job): the lines in, the signed report out."},
            bases=['Model'],
        ),
        AlterFieldState(
            model_name='Account',
            name='role',
            field=fields.CharEnumField(default=Role.APPLICANT, description='APPLICANT: applicant\nREVIEWER: reviewer\nSIGNER: signer\nIMPORTER: importer\nADMIN: admin\nEMPLOYER: employer', enum_type=Role, max_length=16),
        ),
        AlterFieldState(
            model_name='AuditRecord',
            name='actor_role',
            field=fields.CharEnumField(null=True, description='APPLICANT: applicant\nREVIEWER: reviewer\nSIGNER: signer\nIMPORTER: importer\nADMIN: admin\nEMPLOYER: employer', enum_type=Role, max_length=16),
        ),
        AlterFieldState(
            model_name='ImportJob',
            name='created_by_role',
            field=fields.CharEnumField(null=True, description='APPLICANT: applicant\nREVIEWER: reviewer\nSIGNER: signer\nIMPORTER: importer\nADMIN: admin\nEMPLOYER: employer', enum_type=Role, max_length=16),
        ),
    ]
