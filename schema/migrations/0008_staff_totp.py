"""The staff second factor (TOTP): five nullable or defaulted columns on ``account``.

Added columns only (no table rebuild on SQLite, so no index is lost). Every session a staff
account holds is closed: from this migration on a staff session exists only after the
password *and* a TOTP code were checked, so none opened before the second factor existed
may remain (``schema.services.sessions.authenticate`` refuses them as well).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_account_security")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Account",
            name="totp_secret_cipher",
            field=fields.TextField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="totp_enabled_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="totp_last_step",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="Account",
            name="totp_enrolment_hash",
            field=fields.CharField(max_length=64, null=True),
        ),
        ops.AddField(
            model_name="Account",
            name="totp_enrolment_expires_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.RunSQL(
            "DELETE FROM session WHERE account_id IN "
            "(SELECT id FROM account WHERE role <> 'applicant')",
            reverse_sql=ops.RunSQL.noop,
        ),
    ]
