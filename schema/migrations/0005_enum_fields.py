"""Four text columns become enum fields (schema.enums): the state changes, the tables do not.

``registration.source``, ``reference_entry.source``, ``import_job.created_by_role`` and
``audit_record.actor_role`` were ``CharField``s holding the enums' values. As ``CharEnumField``s
with the same ``max_length`` and nullability they are the very same ``VARCHAR`` columns, so
there is nothing to do in the database. Tortoise's ``AlterField`` would still rebuild each
table on SQLite (copy, drop, rename) and that rebuild loses the table's indexes and
multi-column unique constraints. These operations therefore change only the migration state
(what ``makemigrations`` compares the models with).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from schema.enums import ReferenceSource, RegistrationSource, Role

_ROLE_DESCRIPTION = (
    "APPLICANT: applicant\nREVIEWER: reviewer\nSIGNER: signer\nIMPORTER: importer\nADMIN: admin"
)


class AlterFieldState(ops.AlterField):
    """``AlterField`` for a change that leaves the column as it is (state only)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        return None


class Migration(migrations.Migration):
    dependencies = [("models", "0004_other_number_format")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="AuditRecord",
            name="actor_role",
            field=fields.CharEnumField(
                null=True, description=_ROLE_DESCRIPTION, enum_type=Role, max_length=16
            ),
        ),
        AlterFieldState(
            model_name="ImportJob",
            name="created_by_role",
            field=fields.CharEnumField(
                null=True, description=_ROLE_DESCRIPTION, enum_type=Role, max_length=16
            ),
        ),
        AlterFieldState(
            model_name="ReferenceEntry",
            name="source",
            field=fields.CharEnumField(
                default=ReferenceSource.FILE,
                description="FILE: file\nADMIN: admin",
                enum_type=ReferenceSource,
                max_length=8,
            ),
        ),
        AlterFieldState(
            model_name="Registration",
            name="source",
            field=fields.CharEnumField(
                null=True,
                description="PAPER: PAPER\nOTHER_SYSTEM: OTHER_SYSTEM\nOFFLINE_REVIEW: "
                "OFFLINE_REVIEW\nOFFLINE_INITIAL: OFFLINE_INITIAL\nOFFLINE_CONFIRMATION: "
                "OFFLINE_CONFIRMATION\nTITLE_SYSTEM: TITLE_SYSTEM",
                enum_type=RegistrationSource,
                max_length=24,
            ),
        ),
    ]
