"""PostgreSQL: notify ``ecert_access`` when a session, an account or a certificate changes.

The holder QR route keeps a session's row in memory per process
(``schema.services.access_cache``); these triggers tell every process listening when to
drop it, whichever process or tool made the change. Notifications go out at commit:

* ``session``: any change of a row, or its deletion — payload: its account id;
* ``account``: a change of what a session's actor is made of (active, role, TOTP, name,
  authority, public id, ID-number HMAC) or a deletion — payload: the account id (a login,
  which only updates counters and times, sends nothing);
* ``certificate``: a change of what the QR route serves or whose it is (id, version,
  status, URL, check code, images, holder) or a deletion — payload ``*``: drop all;
* a ``TRUNCATE`` of any of the three — payload ``*``.

SQLite has no notifications (and nothing there caches these rows): nothing to do.
Nothing changes in the migration state.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_FUNCTION = """
CREATE OR REPLACE FUNCTION ecert_notify_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' OR TG_TABLE_NAME = 'certificate' THEN
        PERFORM pg_notify('ecert_access', '*');
    ELSIF TG_TABLE_NAME = 'session' THEN
        PERFORM pg_notify('ecert_access', OLD.account_id::text);
        IF TG_OP = 'UPDATE' AND NEW.account_id IS DISTINCT FROM OLD.account_id THEN
            PERFORM pg_notify('ecert_access', NEW.account_id::text);
        END IF;
    ELSE
        PERFORM pg_notify('ecert_access', OLD.id::text);
    END IF;
    RETURN NULL;
END
$$
"""

_ACCOUNT_COLUMNS = (
    "is_active",
    "role",
    "totp_enabled_at",
    "name",
    "authority_code",
    "public_id",
    "id_number_hmac",
)
_CERTIFICATE_COLUMNS = (
    "cert_id",
    "version",
    "status",
    "verification_url",
    "check_code",
    "qr_png_sha256",
    "qr_svg_sha256",
    "holder_id_hmac",
)


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in columns)


_TRIGGERS = {
    "ecert_access_session_update": (
        '"session"',
        "AFTER UPDATE",
        "FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)",
    ),
    "ecert_access_session_delete": ('"session"', "AFTER DELETE", "FOR EACH ROW"),
    "ecert_access_account_update": (
        '"account"',
        "AFTER UPDATE",
        f"FOR EACH ROW WHEN ({_changed(_ACCOUNT_COLUMNS)})",
    ),
    "ecert_access_account_delete": ('"account"', "AFTER DELETE", "FOR EACH ROW"),
    "ecert_access_certificate_update": (
        '"certificate"',
        "AFTER UPDATE",
        f"FOR EACH ROW WHEN ({_changed(_CERTIFICATE_COLUMNS)})",
    ),
    "ecert_access_certificate_delete": ('"certificate"', "AFTER DELETE", "FOR EACH ROW"),
    "ecert_access_session_truncate": ('"session"', "AFTER TRUNCATE", "FOR EACH STATEMENT"),
    "ecert_access_account_truncate": ('"account"', "AFTER TRUNCATE", "FOR EACH STATEMENT"),
    "ecert_access_certificate_truncate": (
        '"certificate"',
        "AFTER TRUNCATE",
        "FOR EACH STATEMENT",
    ),
}


def _is_postgres(schema_editor: Any) -> bool:
    return bool(schema_editor.client.capabilities.dialect == "postgres")


async def create_triggers(apps: Any, schema_editor: Any) -> None:
    if not _is_postgres(schema_editor):
        return
    client = schema_editor.client
    await client.execute_script(_FUNCTION)
    for name, (table, when, level) in _TRIGGERS.items():
        await client.execute_script(
            f'DROP TRIGGER IF EXISTS "{name}" ON {table};'
            f' CREATE TRIGGER "{name}" {when} ON {table} {level}'
            " EXECUTE FUNCTION ecert_notify_access()"
        )


async def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if not _is_postgres(schema_editor):
        return
    client = schema_editor.client
    for name, (table, _when, _level) in _TRIGGERS.items():
        await client.execute_script(f'DROP TRIGGER IF EXISTS "{name}" ON {table}')
    await client.execute_script("DROP FUNCTION IF EXISTS ecert_notify_access()")


class Migration(migrations.Migration):
    dependencies = [("models", "0015_employer_verification")]

    initial = False

    operations = [ops.RunPython(create_triggers, drop_triggers)]
