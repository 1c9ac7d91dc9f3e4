from tortoise import migrations
from tortoise.migrations import operations as ops
from schema.models.imports import ImportKind, ImportOutcome, ImportStatus
from schema.models.registrations import RegistrationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_certificates')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=32)),
                ('kind', fields.CharEnumField(description='TITLE_SYSTEM: TITLE_SYSTEM\nHISTORICAL: HISTORICAL', enum_type=ImportKind, max_length=16)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('file_name', fields.CharField(max_length=255)),
                ('file_sha256', fields.CharField(max_length=64)),
                ('photos_name', fields.CharField(null=True, max_length=255)),
                ('photos_sha256', fields.CharField(null=True, max_length=64)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_by_role', fields.CharField(null=True, max_length=16)),
                ('total_rows', fields.IntField(null=True)),
                ('processed_through', fields.IntField(default=1)),
                ('rows_done', fields.IntField(default=0)),
                ('created_count', fields.IntField(default=0)),
                ('issued_count', fields.IntField(default=0)),
                ('incomplete_count', fields.IntField(default=0)),
                ('existing_count', fields.IntField(default=0)),
                ('refused_count', fields.IntField(default=0)),
                ('error_code', fields.CharField(null=True, max_length=64)),
                ('error_message', fields.TextField(null=True, unique=False)),
                ('lease_owner', fields.CharField(null=True, max_length=64)),
                ('lease_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('progressed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_job', 'app': 'models', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One uploaded file being loaded (counts and progress are committed with each chunk).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportIssue',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='issues', on_delete=OnDelete.CASCADE)),
                ('row', fields.IntField(null=True)),
                ('column', fields.CharField(null=True, max_length=64)),
                ('outcome', fields.CharEnumField(description='REFUSED: REFUSED\nEXISTING: EXISTING\nNOTE: NOTE', enum_type=ImportOutcome, max_length=16)),
                ('code', fields.CharField(max_length=64)),
                ('message', fields.TextField(unique=False)),
                ('ref', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'import_issue', 'app': 'models', 'indexes': [Index(fields=['job_id', 'row'])], 'pk_attr': 'id', 'table_description': "A row of the job's report: a refused row, a row already on record, or a file note."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Registration',
            name='status',
            field=fields.CharEnumField(description='DRAFT: DRAFT\nSUBMITTED: SUBMITTED\nRETURNED: RETURNED\nINCOMPLETE: INCOMPLETE\nPHOTO_REVIEW: PHOTO_REVIEW\nAPPROVED: APPROVED\nWITHDRAWN: WITHDRAWN', enum_type=RegistrationStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Registration',
            name='import_job_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Registration',
            name='import_row',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Registration',
            name='incomplete_reason',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
