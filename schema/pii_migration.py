"""The data step of migration ``0006_pii_protection``: clear mobile numbers become sealed.

A Tortoise migration receives no configuration, but sealing needs the PII keys.
``schema.db.migrate`` therefore takes the protector and lends it to the migrations it runs
through :func:`migration_keys` (a context variable, so nothing global outlives the call).
``ecert migrate`` always passes it. Without it, the step still runs on a database that
holds no account (a fresh one), and refuses with :class:`PiiKeysRequired` otherwise.

The step runs inside the migration's transaction: if anything fails, the new columns, the
converted rows and the dropped clear columns are all rolled back together, and the
migration is not recorded, so running ``ecert migrate`` again starts over.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from schema import rules
from schema.pii import PiiProtector

__all__ = ["PiiKeysRequired", "migration_keys", "seal_clear_mobiles"]

_KEYS: ContextVar[PiiProtector | None] = ContextVar("ecert_migration_pii", default=None)
# (select the next batch not converted yet, update one row) as (SQLite, PostgreSQL) text.
_SQL = {
    False: (
        "SELECT id, mobile FROM account WHERE mobile_cipher = '' AND id > ? ORDER BY id LIMIT 500",
        "UPDATE account SET mobile_cipher = ?, mobile_hmac = ?, mobile_masked = ? WHERE id = ?",
    ),
    True: (
        "SELECT id, mobile FROM account WHERE mobile_cipher = '' AND id > $1 ORDER BY id LIMIT 500",
        "UPDATE account SET mobile_cipher = $1, mobile_hmac = $2, mobile_masked = $3 WHERE id = $4",
    ),
}


class PiiKeysRequired(RuntimeError):
    """A data migration must seal personal data and was given no PII keys."""


@contextmanager
def migration_keys(pii: PiiProtector | None) -> Iterator[None]:
    """Make ``pii`` available to the data steps of the migrations run inside the block."""
    token = _KEYS.set(pii)
    try:
        yield
    finally:
        _KEYS.reset(token)


def _sealed_columns(pii: PiiProtector, stored: str) -> tuple[str, str, str]:
    try:
        mobile = rules.normalize_mobile(stored)
    except rules.RuleViolation:
        mobile = stored  # kept as it was, only sealed (the mask hides all of it)
    return pii.seal_mobile(mobile), pii.mobile_lookup_hash(mobile), rules.mask_mobile(mobile)


async def seal_clear_mobiles(apps: Any, schema_editor: Any) -> None:
    """``account.mobile`` → ``mobile_cipher``/``mobile_hmac``/``mobile_masked``, every row
    not converted yet (idempotent), in batches on the migration's own connection."""
    client = schema_editor.client
    select, update = _SQL[client.capabilities.dialect == "postgres"]
    last_id = 0
    while True:
        _, rows = await client.execute_query(select, [last_id])
        if not rows:
            return
        pii = _KEYS.get()
        if pii is None:
            raise PiiKeysRequired(
                "migration 0006_pii_protection seals the mobile numbers of existing accounts "
                "and needs the PII keys: run it with `ecert migrate`"
            )
        values = [[*_sealed_columns(pii, str(r["mobile"])), r["id"]] for r in rows]
        await client.execute_many(update, values)
        last_id = rows[-1]["id"]
