"""Issue 11: the document sealing credentials, the rendered certificate files and the
authorities' batch ZIP jobs (new tables only; nothing existing is rebuilt)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from schema.models.documents import BatchStatus, CredentialRole, DocumentKind
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_registration_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CertificateFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('certificate', fields.ForeignKeyField('models.Certificate', source_field='certificate_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='PDF: pdf\nCARD: card\nQR_LABEL: qr_label', enum_type=DocumentKind, max_length=16)),
                ('shown_status', fields.CharField(max_length=16)),
                ('blob_sha256', fields.CharField(max_length=64)),
                ('byte_size', fields.IntField()),
                ('rendered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'certificate_file', 'app': 'models', 'unique_together': (('certificate', 'kind', 'shown_status'),), 'pk_attr': 'id', 'table_description': 'A rendered file of one certificate version, as shown in one status.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_id', fields.CharField(unique=True, max_length=32)),
                ('authority_code', fields.CharField(db_index=True, max_length=32)),
                ('requested_by_id', fields.IntField()),
                ('cert_ids', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=BatchStatus.QUEUED, description='QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=BatchStatus, max_length=16)),
                ('total', fields.IntField()),
                ('done_count', fields.IntField(default=0)),
                ('result_sha256', fields.CharField(null=True, max_length=64)),
                ('result_size', fields.IntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('lease_owner', fields.CharField(null=True, max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'document_batch', 'app': 'models', 'pk_attr': 'id', 'table_description': "An authority's batch of certificate PDFs rendered into one ZIP (a queued job)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentCredential',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('role', fields.CharEnumField(description='ROOT: root\nAUTHORITY: authority\nTIMESTAMP: timestamp', enum_type=CredentialRole, max_length=16)),
                ('authority_code', fields.CharField(null=True, db_index=True, max_length=32)),
                ('subject', fields.CharField(max_length=200)),
                ('fingerprint_sha256', fields.CharField(unique=True, max_length=64)),
                ('certificate_pem', fields.TextField(unique=False)),
                ('encrypted_key_pem', fields.TextField(unique=False)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('not_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'document_credential', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One certificate of the document sealing hierarchy and its encrypted key.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='LoginThrottle',
            options={'table': 'login_throttle', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Fixed-window counters per key (failed logins, lookups): see schema.services.throttle.'},
        ),
    ]
