"""Account security: one-time SMS codes and the progressive login delay.

Two new tables only (no existing table is altered, so nothing is rebuilt on SQLite):
``one_time_code`` (schema.services.otp) and ``login_backoff``
(schema.services.login_backoff). ``account.failed_login_count`` and ``account.locked_until``
are no longer used; they stay until a later migration drops them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from schema.enums import SmsPurpose
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_pii_protection')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginBackoff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=100)),
                ('failures', fields.IntField(default=0, db_default=0)),
                ('last_failure_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retry_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_backoff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Recent failed logins of one account or one client address (a delay, never a lock).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='REGISTER: register\nRESET_PASSWORD: reset_password\nLOGIN: login', enum_type=SmsPurpose, max_length=16)),
                ('mobile_hmac', fields.CharField(max_length=64)),
                ('code_hash', fields.CharField(max_length=64)),
                ('client_ip', fields.CharField(null=True, max_length=64)),
                ('delivered', fields.BooleanField(default=True, db_default=True)),
                ('attempts', fields.IntField(default=0, db_default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'one_time_code', 'app': 'models', 'indexes': [Index(fields=['mobile_hmac', 'purpose', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A one-time SMS code, stored as keyed HMACs only.'},
            bases=['Model'],
        ),
    ]
