"""The audit chain for tests: records written through the real writer, and tampering done
the way someone with database access would do it, in raw SQL."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise

from schema.audit_chain import CHAINED_COLUMNS, link_from_row, record_hash
from schema.enums import AuditAction
from schema.models import AuditRecord
from schema.services.audit import write_audit
from tests.support.factories import NOW

CONTENT_COLUMNS = tuple(c for c in CHAINED_COLUMNS if c != "id")  # what tampering edits


async def sql(query: str, *params: Any) -> list[dict[str, Any]]:
    """Raw SQL written with ``$n`` placeholders, on either database."""
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect != "postgres":
        for n in range(9, 0, -1):
            query = query.replace(f"${n}", f"?{n}")
    return await conn.execute_query_dict(query, list(params))


async def write_records(count: int) -> list[AuditRecord]:
    """``count`` records, each in its own transaction, with Chinese text, nested JSON and a
    whole float among their details."""
    return [
        await write_audit(
            actor=None,
            action=AuditAction.REGISTRATION_IMPORTED,
            entity_type="registration",
            entity_id=f"r{i}",
            now=NOW,
            before={"status": "DRAFT"} if i % 2 else None,
            after={"status": "SUBMITTED", "holder": "张三", "row": i, "score": 2.0, "m": [1, {}]},
            note=f"第{i}条",
        )
        for i in range(count)
    ]


async def seq_of(record: AuditRecord) -> int:
    await record.refresh_from_db()
    assert record.seq is not None
    return record.seq


async def swap_columns(seq_a: int, seq_b: int, columns: tuple[str, ...]) -> None:
    """Exchange ``columns`` between the records at two seqs, in one statement."""
    sets = ", ".join(f'"{c}" = other."{c}"' for c in columns)
    await sql(
        f"UPDATE audit_record SET {sets} FROM audit_record AS other "  # noqa: S608
        "WHERE (audit_record.seq = $1 AND other.seq = $2) "
        "OR (audit_record.seq = $2 AND other.seq = $1)",
        seq_a,
        seq_b,
    )


async def swap_seqs(seq_a: int, seq_b: int) -> None:
    """Move two records into each other's place in the chain (seq is unique: in three steps)."""
    await sql("UPDATE audit_record SET seq = -1 WHERE seq = $1", seq_a)
    await sql("UPDATE audit_record SET seq = $1 WHERE seq = $2", seq_a, seq_b)
    await sql("UPDATE audit_record SET seq = $1 WHERE seq = -1", seq_b)


async def rehash_from(seq: int) -> None:
    """What an attacker who read the docs does after editing: recompute every hash from
    ``seq`` on and the head, so the chain is consistent again."""
    rows = await sql(
        "SELECT id, seq, at, actor_id, actor_role, action, entity_type, entity_id, before, "
        "after, note, request_id, prev_hash FROM audit_record WHERE seq >= $1 ORDER BY seq",
        seq,
    )
    prev = (await sql("SELECT hash FROM audit_record WHERE seq = $1", seq - 1))[0]["hash"]
    for row in rows:
        digest = record_hash(link_from_row(row, prev_hash=prev))
        await sql(
            "UPDATE audit_record SET prev_hash = $1, hash = $2 WHERE id = $3",
            prev,
            digest,
            row["id"],
        )
        prev = digest
    await sql("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1", rows[-1]["seq"], prev)
