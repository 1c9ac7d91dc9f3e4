"""Issue 12: the trust root that signs the key list at /.well-known/ecert-keys.jwt (a new
table only; nothing existing is rebuilt)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_key_reissue_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TrustRootKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kid', fields.CharField(unique=True, max_length=32)),
                ('public_key', fields.BinaryField()),
                ('encrypted_private_key', fields.BinaryField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'trust_root_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The trust root that signs the key list (``/.well-known/ecert-keys.jwt``).'},
            bases=['Model'],
        ),
    ]
