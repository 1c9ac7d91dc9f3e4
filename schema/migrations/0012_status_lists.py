"""Issue 12: signed status lists. The status_list table, and on each certificate version its
entry (status_list_id, status_index, nullable: older versions have none) with a unique index
(added as an index: the certificate table is not rebuilt)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0011_certificate_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StatusList',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('assigned', fields.IntField(default=0)),
                ('closed', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'status_list', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One published status list (``/status/{id}``), its entries drawn at random by issuance.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Certificate',
            name='status_index',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Certificate',
            name='status_list_id',
            field=fields.IntField(null=True),
        ),
        ops.AddConstraint(
            model_name='Certificate',
            constraint=UniqueConstraint(fields=('status_list_id', 'status_index'), name=None),
        ),
    ]
