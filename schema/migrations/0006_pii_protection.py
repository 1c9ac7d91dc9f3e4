"""No clear birth date and no clear mobile number in the ``account`` table.

``birth_date`` beside the masked ID number (first 4 + last 4) narrowed the full number to a
handful of candidates, and ``mobile`` was a clear personal identifier. The mobile number is
now sealed like the ID number (``mobile_cipher``), found through a keyed digest
(``mobile_hmac``, indexed) and shown masked (``mobile_masked``). The birth date is not kept:
it is read from the sealed ID number when a rule needs it.

The data step (``schema.pii_migration.seal_clear_mobiles``) needs the PII keys, which
``ecert migrate`` lends to it. Then the clear columns go. On SQLite, ``RemoveField`` is an
``ALTER TABLE … DROP COLUMN`` (no rebuild), and ``AddField`` adds columns in place, so the
table keeps its unique indexes (``public_id``, ``id_number_hmac``). ``AddField`` does not
create the index a ``db_index`` field asks for, hence the explicit ``CREATE INDEX``.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from schema.pii_migration import seal_clear_mobiles


class Migration(migrations.Migration):
    dependencies = [("models", "0005_enum_fields")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Account",
            name="mobile_cipher",
            field=fields.TextField(db_default="", unique=False),
        ),
        ops.AddField(
            model_name="Account",
            name="mobile_hmac",
            field=fields.CharField(db_index=True, db_default="", max_length=64),
        ),
        ops.AddField(
            model_name="Account",
            name="mobile_masked",
            field=fields.CharField(db_default="", max_length=11),
        ),
        ops.RunSQL(
            'CREATE INDEX "idx_account_mobile_hmac" ON "account" ("mobile_hmac")',
            reverse_sql='DROP INDEX "idx_account_mobile_hmac"',
        ),
        ops.RunPython(seal_clear_mobiles),
        ops.RemoveField(model_name="Account", name="birth_date"),
        ops.RemoveField(model_name="Account", name="mobile"),
    ]
