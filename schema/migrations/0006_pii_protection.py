"""No clear birth date and no clear mobile number in the ``account`` table.

``birth_date`` beside the masked ID number (first 4 + last 4) narrowed the full number to a
handful of candidates, and ``mobile`` was a clear personal identifier. The mobile number is
now sealed like the ID number (``mobile_cipher``), found through a keyed digest
(``mobile_hmac``, indexed) and shown masked (``mobile_masked``). The birth date is not kept:
it is read from the sealed ID number when a rule needs it.

The data step (``schema.pii_migration.seal_clear_mobiles``) needs the PII keys, which
``ecert migrate`` lends to it. Then the clear columns go.

On SQLite, Tortoise's ``RemoveField`` rebuilds the table (copy, drop, rename) and the
rebuild loses every index that is not written inside ``CREATE TABLE`` (see 0005).
:class:`DropColumn` is ``RemoveField`` as a plain ``ALTER TABLE … DROP COLUMN`` on both
backends (SQLite has it since 3.35), and ``AddField`` adds columns in place, so the table
keeps its unique indexes (``public_id``, ``id_number_hmac``) and the new lookup index.
``AddField`` does not create the index a ``db_index`` field asks for, hence the explicit
``CREATE INDEX``.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from schema.pii_migration import seal_clear_mobiles


class DropColumn(ops.RemoveField):
    """``RemoveField`` as ``ALTER TABLE … DROP COLUMN`` (never a table rebuild)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None:
            return
        table = old_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
        await state_editor.client.execute_query(
            f'ALTER TABLE "{table}" DROP COLUMN "{self.name}"'
        )


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
        DropColumn(model_name="Account", name="birth_date"),
        DropColumn(model_name="Account", name="mobile"),
    ]
