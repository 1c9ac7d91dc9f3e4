"""The audit log becomes a hash chain (schema.audit_chain): three nullable columns on
``audit_record`` (``seq`` unique, ``prev_hash``, ``hash``), the one-row ``audit_chain_head``
table, and a data step that chains the rows already there in ``id`` order.

Only ``AddField``/``CreateModel``: on SQLite they are ``ALTER TABLE … ADD COLUMN`` plus a
``CREATE UNIQUE INDEX``, no table rebuild (which would drop the table's indexes, see 0005).
The data step is idempotent: it continues from the head and chains only rows whose ``seq``
is still null, so a brand new database just gets its head row (seq 0, 64 zeros).
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from schema.audit_chain import CHAINED_COLUMNS, GENESIS, link_from_row, record_hash

_BATCH = 1000


async def chain_existing_rows(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    pg = client.capabilities.dialect == "postgres"
    heads = await client.execute_query_dict("SELECT seq, hash FROM audit_chain_head WHERE id = 1")
    if heads:
        seq, prev = int(heads[0]["seq"]), str(heads[0]["hash"])
    else:
        seq, prev = 0, GENESIS
        await client.execute_query_dict(
            "INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, " + ("$1)" if pg else "?)"),
            [GENESIS],
        )
    columns = ", ".join(f'"{c}"' for c in CHAINED_COLUMNS)
    update = (
        'UPDATE audit_record SET seq = $1, prev_hash = $2, "hash" = $3 WHERE id = $4'
        if pg
        else 'UPDATE audit_record SET seq = ?, prev_hash = ?, "hash" = ? WHERE id = ?'
    )
    while True:
        rows = await client.execute_query_dict(
            f"SELECT {columns} FROM audit_record WHERE seq IS NULL "  # noqa: S608 (ours)
            f"ORDER BY id LIMIT {_BATCH}"
        )
        if not rows:
            break
        changes = []
        for row in rows:
            seq += 1
            digest = record_hash(link_from_row(row, seq=seq, prev_hash=prev))
            changes.append([seq, prev, digest, row["id"]])
            prev = digest
        await client.execute_many(update, changes)
    await client.execute_query_dict(
        "UPDATE audit_chain_head SET seq = "
        + ("$1, hash = $2 WHERE id = 1" if pg else "?, hash = ? WHERE id = 1"),
        [seq, prev],
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0008_staff_totp")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    fields.IntField(primary_key=True, generated=False, unique=True, db_index=True),
                ),
                ("seq", fields.BigIntField(default=0)),
                ("hash", fields.CharField(max_length=64)),
            ],
            options={
                "table": "audit_chain_head",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The audit chain's last link (one row, id 1): the seq "
                "and hash of the newest record.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="AuditRecord",
            name="hash",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name="AuditRecord",
            name="prev_hash",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name="AuditRecord",
            name="seq",
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.RunPython(chain_existing_rows, ops.RunPython.noop),
    ]
