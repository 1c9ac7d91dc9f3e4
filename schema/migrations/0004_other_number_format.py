from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_collection')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Registration',
            name='other_number_format',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
