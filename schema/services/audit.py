"""Writing the audit trail (always inside the caller's transaction), as a hash chain.

Every append locks the chain's head (``audit_chain_head``, one row) for the rest of the
caller's transaction, numbers its records after the head's ``seq``, links each to the hash
before it (``schema.audit_chain``) and moves the head. Two concurrent transactions therefore
append one after the other: the chain cannot fork, and a transaction that rolls back takes
its numbers with it, so ``seq`` stays gap-free.

- PostgreSQL: ``SELECT … FOR UPDATE`` on the head row, held until commit or rollback.
- SQLite: writers are serialised by the database; the head row is written first so the
  transaction holds the write lock before it reads the head.

The cost: transactions serialise from their audit write to their commit, so use cases
write their audit rows last (they do). ``ecert audit verify`` (schema.services.audit_verify)
recomputes the chain.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction

from schema.actor import Actor
from schema.audit_chain import GENESIS, ChainLink, record_hash
from schema.enums import AuditAction
from schema.models import AuditRecord
from schema.services.bulk_write import allocate_ids, insert_rows, is_postgres

__all__ = [
    "AuditEntry",
    "ChainHead",
    "append_audit_rows",
    "read_head",
    "write_audit",
    "write_audits",
]

_log = logging.getLogger("ecert.audit")

_CHAIN_COLUMNS = ("id", "seq", "prev_hash", "hash")


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def _params(conn: BaseDBAsyncClient, sql: str) -> str:
    """``sql`` written with ``$n`` placeholders, as this connection's dialect wants them."""
    if is_postgres(conn):
        return sql
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", f"?{n}")
    return sql


async def read_head(conn: BaseDBAsyncClient, *, lock: bool = False) -> ChainHead | None:
    if lock and not is_postgres(conn):
        # Take SQLite's write lock before reading, so the head read is the latest.
        await conn.execute_query("UPDATE audit_chain_head SET seq = seq WHERE id = 1")
    sql = "SELECT seq, hash FROM audit_chain_head WHERE id = 1"
    if lock and is_postgres(conn):
        sql = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
    rows = await conn.execute_query_dict(sql)
    return ChainHead(int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else None


async def _restore_head(conn: BaseDBAsyncClient) -> None:
    """The head row is gone (deleted by hand): start it again from the newest record, so
    writing goes on; `ecert audit verify` still judges the chain itself."""
    rows = await conn.execute_query_dict(
        "SELECT seq, hash FROM audit_record WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
    )
    seq, digest = (int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else (0, GENESIS)
    _log.warning("audit chain head row missing: restored from the newest record seq=%d", seq)
    await conn.execute_query(
        _params(
            conn,
            "INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO NOTHING",
        ),
        [seq, digest],
    )


async def _lock_head(conn: BaseDBAsyncClient) -> ChainHead:
    head = await read_head(conn, lock=True)
    if head is None:
        await _restore_head(conn)
        head = await read_head(conn, lock=True)
    if head is None:  # pragma: no cover (the row was just written)
        raise RuntimeError("audit chain head cannot be written")
    return head


async def _lock_head_with_ids(conn: BaseDBAsyncClient, count: int) -> tuple[ChainHead, list[int]]:
    """The locked head and ``count`` fresh record ids: on PostgreSQL in one round trip (the
    lock is held from here to commit, so every statement saved here shortens everyone's
    wait)."""
    if is_postgres(conn):
        rows = await conn.execute_query_dict(
            "SELECT seq, hash, ARRAY(SELECT nextval(pg_get_serial_sequence('audit_record', 'id'))"
            " FROM generate_series(1, $1::int)) AS ids FROM audit_chain_head WHERE id = 1"
            " FOR UPDATE",
            [count],
        )
        if rows:
            head = ChainHead(int(rows[0]["seq"]), str(rows[0]["hash"]))
            return head, [int(i) for i in rows[0]["ids"]]
    head = await _lock_head(conn)
    return head, await allocate_ids(conn, "audit_record", count)


async def _move_head(conn: BaseDBAsyncClient, head: ChainHead) -> None:
    await conn.execute_query(
        _params(conn, "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1"),
        [head.seq, head.hash],
    )
    _log.info("audit chain head %s", head)


@asynccontextmanager
async def _transaction(using_db: BaseDBAsyncClient | None) -> AsyncIterator[BaseDBAsyncClient]:
    """The caller's transaction, or one of our own (a savepoint inside the task's current
    transaction, if any): the head lock must last until the audit rows commit."""
    if isinstance(using_db, TransactionalDBClient):
        yield using_db
        return
    context = using_db._in_transaction() if using_db is not None else in_transaction()
    async with context as conn:
        yield conn


def _link(values: Mapping[str, Any], *, id: int, seq: int, prev_hash: str) -> ChainLink:
    role = values.get("actor_role")
    action = values["action"]
    return ChainLink(
        id=id,
        seq=seq,
        at=values["at"],
        actor_id=values.get("actor_id"),
        actor_role=getattr(role, "value", role),
        action=getattr(action, "value", action),
        entity_type=values["entity_type"],
        entity_id=str(values["entity_id"]),
        before=values.get("before"),
        after=values.get("after"),
        note=values.get("note"),
        request_id=values.get("request_id"),
        prev_hash=prev_hash,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One record for ``write_audits`` (the arguments of ``write_audit``)."""

    actor: Actor | None
    action: AuditAction
    entity_type: str
    entity_id: str | int
    now: datetime
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    note: str | None = None
    request_id: str | None = None

    def values(self) -> dict[str, Any]:
        return {
            "at": self.now,
            "actor_id": self.actor.account_id if self.actor else None,
            "actor_role": self.actor.role if self.actor else None,
            "action": self.action.value,
            "entity_type": self.entity_type,
            "entity_id": str(self.entity_id),
            "before": self.before,
            "after": self.after,
            "note": self.note,
            "request_id": self.request_id,
        }


async def write_audit(
    *,
    actor: Actor | None,
    action: AuditAction,
    entity_type: str,
    entity_id: str | int,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
    request_id: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditRecord:
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        now=now,
        before=before,
        after=after,
        note=note,
        request_id=request_id,
    )
    (record,) = await _append(entry, using_db=using_db)
    return record


async def write_audits(
    entries: Sequence[AuditEntry], *, using_db: BaseDBAsyncClient | None = None
) -> None:
    """Append ``entries`` to the chain in this order, under one head lock: the head read
    with the record ids, one insert of all the records, the head moved (three statements
    whatever the number of entries)."""
    if entries:
        await _append(*entries, using_db=using_db)


async def _append(*entries: AuditEntry, using_db: BaseDBAsyncClient | None) -> list[AuditRecord]:
    """The records written (as saved objects only when there is one: ``bulk_create``
    does not mark its objects saved)."""
    async with _transaction(using_db) as conn:
        head, ids = await _lock_head_with_ids(conn, len(entries))
        records: list[AuditRecord] = []
        seq, prev = head.seq, head.hash
        for record_id, entry in zip(ids, entries, strict=True):
            values = entry.values()
            seq += 1
            digest = record_hash(_link(values, id=record_id, seq=seq, prev_hash=prev))
            records.append(
                AuditRecord(id=record_id, seq=seq, prev_hash=prev, hash=digest, **values)
            )
            prev = digest
        if len(records) == 1:
            await records[0].save(using_db=conn, force_create=True)
        else:
            await AuditRecord.bulk_create(records, using_db=conn)
        await _move_head(conn, ChainHead(seq, prev))
    return records


async def append_audit_rows(
    conn: BaseDBAsyncClient, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Bulk-insert audit rows (tuples in ``columns`` order, no id or chain columns) into
    ``conn``'s transaction, chained in the given order under the head lock."""
    if not rows:
        return
    head, ids = await _lock_head_with_ids(conn, len(rows))
    chained: list[tuple[Any, ...]] = []
    seq, prev = head.seq, head.hash
    for record_id, row in zip(ids, rows, strict=True):
        seq += 1
        link = _link(dict(zip(columns, row, strict=True)), id=record_id, seq=seq, prev_hash=prev)
        digest = record_hash(link)
        chained.append((*row, record_id, seq, prev, digest))
        prev = digest
    await insert_rows(conn, "audit_record", (*columns, *_CHAIN_COLUMNS), chained)
    await _move_head(conn, ChainHead(seq, prev))
