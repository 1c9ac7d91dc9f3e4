"""The registration table's indexes, back on SQLite.

Migration 0003's ``AlterField`` rebuilt ``registration`` on SQLite (copy, drop, rename),
and the rebuild lost the table's plain indexes: ``holder_id_hmac`` (every holder's
我的证书 and duplicate checks), ``authority_code`` and the review queue's
``(authority_code, status, submitted_at)``. PostgreSQL kept them. They are created again
under the names PostgreSQL has, ``IF NOT EXISTS``, so the step does nothing where they
survived. Nothing changes in the migration state: the models always declared them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_INDEXES = (
    ("idx_registratio_holder__3de5d9", '"holder_id_hmac"'),
    ("idx_registratio_authori_604746", '"authority_code"'),
    ("idx_registratio_authori_1c539a", '"authority_code", "status", "submitted_at"'),
)


class Migration(migrations.Migration):
    dependencies = [("models", "0009_audit_chain")]

    initial = False

    operations = [
        ops.RunSQL(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "registration" ({columns})',
            reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
        )
        for name, columns in _INDEXES
    ]
