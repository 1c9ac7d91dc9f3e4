"""Checking the audit log's hash chain (``ecert audit verify`` and ``ecert audit checkpoint``).

The table is read in ``seq`` order in batches (keyset paging, memory-bounded) inside one
read-only snapshot, every hash is recomputed, and the first problem is reported with the
record it concerns:

- ``inserted``: a row outside the chain (no ``seq``), or a row past the head;
- ``deleted``: a gap in ``seq``, or the newest records gone (the head, or a checkpoint,
  names a later ``seq`` than the last record);
- ``edited``: a record whose content no longer matches its hash, or whose hash changed
  (the next record's ``prev_hash``, the head or a checkpoint still names the old one);
- ``reordered``: a record that moved: its hash is right for another position, or its
  ``prev_hash`` names a record other than the one before it.

What it cannot see: someone who can write the database and rewrites every record from some
point on, recomputing the hashes and the head, leaves a consistent chain. Only a
checkpoint kept outside the database (``ecert audit checkpoint``) catches that, and only
for records at or before the checkpoint's ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from schema.audit_chain import CHAINED_COLUMNS, GENESIS, ChainLink, link_from_row, record_hash
from schema.services.audit import ChainHead, read_head
from schema.services.bulk_write import is_postgres

__all__ = ["ChainReport", "Problem", "parse_checkpoint", "verify_chain"]

_COLUMNS = ", ".join(f'"{c}"' for c in (*CHAINED_COLUMNS, "seq", "prev_hash", "hash"))


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # inserted | deleted | edited | reordered
    seq: int | None
    id: int | None
    detail: str

    def line(self) -> str:
        where = " ".join(
            part
            for part in (
                f"seq={self.seq}" if self.seq is not None else "",
                f"id={self.id}" if self.id is not None else "",
            )
            if part
        )
        return (
            f"{self.kind}: record {where}: {self.detail}"
            if where
            else f"{self.kind}: {self.detail}"
        )


@dataclass(frozen=True, slots=True)
class ChainReport:
    records: int
    head: ChainHead | None
    last: ChainHead
    checkpoints: int
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        confirmed = f", {self.checkpoints} checkpoint(s) confirmed" if self.checkpoints else ""
        return f"audit chain intact: {self.records} records, head {self.last}{confirmed}"


def parse_checkpoint(text: str) -> ChainHead:
    """``SEQ:HASH`` as printed by ``ecert audit checkpoint``; ValueError otherwise."""
    seq_text, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if (
        not sep
        or not seq_text.strip().isdigit()
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(f"not a checkpoint (SEQ:SHA256HEX): {text.strip()!r}")
    return ChainHead(int(seq_text), digest)


async def _seq_where(conn: BaseDBAsyncClient, column: str, digest: str) -> int | None:
    """The seq of the record whose ``column`` (hash or prev_hash) is ``digest``."""
    mark = "$1" if is_postgres(conn) else "?"
    rows = await conn.execute_query_dict(
        f'SELECT seq FROM audit_record WHERE "{column}" = {mark} ORDER BY seq LIMIT 1',  # noqa: S608
        [digest],
    )
    return int(rows[0]["seq"]) if rows and rows[0]["seq"] is not None else None


async def _written_as(conn: BaseDBAsyncClient, link: ChainLink, stored: str) -> int | None:
    """The seq this record was hashed with, if it is another one: found next to the record its
    prev_hash names, or just before the record whose prev_hash names it."""
    before = await _seq_where(conn, "hash", link.prev_hash)
    after = await _seq_where(conn, "prev_hash", stored)
    candidates = {
        before + 1 if before is not None else None,
        after - 1 if after is not None else None,
    }
    if link.prev_hash == GENESIS:
        candidates.add(1)
    for seq in sorted(c for c in candidates if c is not None and c > 0 and c != link.seq):
        if record_hash(replace(link, seq=seq)) == stored:
            return seq
    return None


_SWAP_WINDOW = 500


async def _swapped_with(conn: BaseDBAsyncClient, link: ChainLink, stored: str) -> str | None:
    """Two records that traded places (their ids, or their contents), within
    ``_SWAP_WINDOW`` seqs of this one: how, or None."""
    mark = ("$1", "$2") if is_postgres(conn) else ("?", "?")
    rows = await conn.execute_query_dict(
        f"SELECT {_COLUMNS} FROM audit_record WHERE seq BETWEEN {mark[0]} AND {mark[1]} "  # noqa: S608
        "ORDER BY seq",
        [link.seq - _SWAP_WINDOW, link.seq + _SWAP_WINDOW],
    )
    for other in rows:
        if int(other["seq"]) == link.seq:
            continue
        where = f"seq={other['seq']} id={other['id']}"
        if record_hash(replace(link, id=int(other["id"]))) == stored:
            return f"it was written with the id of record {where}: the two were swapped"
        try:
            theirs = link_from_row(other)
        except (ValueError, TypeError, KeyError):
            continue
        here = replace(theirs, id=link.id, seq=link.seq, prev_hash=link.prev_hash)
        if record_hash(here) == stored:
            return f"what was written here is now in record {where}: the contents were swapped"
    return None


async def _judge(
    conn: BaseDBAsyncClient, row: dict[str, Any], prev: str, prev_row: dict[str, Any] | None
) -> Problem | None:
    seq, rid, stored = int(row["seq"]), int(row["id"]), str(row["hash"])
    try:
        link = link_from_row(row)
    except (ValueError, TypeError, KeyError) as exc:
        return Problem("edited", seq, rid, f"its content cannot be read ({exc})")
    if record_hash(link) != stored:
        written = await _written_as(conn, link, stored)
        if written is not None:
            return Problem("reordered", seq, rid, f"it was written as seq {written} and moved here")
        swapped = await _swapped_with(conn, link, stored)
        if swapped is not None:
            return Problem("reordered", seq, rid, swapped)
        return Problem("edited", seq, rid, "its content does not match its hash")
    if row["prev_hash"] != prev:
        origin = await _seq_where(conn, "hash", str(row["prev_hash"]))
        if origin is not None and origin != seq - 1:
            return Problem(
                "reordered", seq, rid, f"its prev_hash points to seq {origin}, not seq {seq - 1}"
            )
        if prev_row is None:
            return Problem("edited", seq, rid, "the first record does not start from genesis")
        return Problem(
            "edited",
            seq - 1,
            int(prev_row["id"]),
            f"its hash was replaced: the next record (seq={seq} id={rid}) links to another",
        )
    return None


async def _scan(conn: BaseDBAsyncClient, checkpoints: dict[int, str], batch: int) -> ChainReport:
    head = await read_head(conn)
    outside = await conn.execute_query_dict(
        "SELECT id FROM audit_record WHERE seq IS NULL ORDER BY id LIMIT 1"
    )
    if outside:
        problem = Problem(
            "inserted", None, int(outside[0]["id"]), "it is outside the chain (no seq)"
        )
        return ChainReport(0, head, ChainHead(0, GENESIS), 0, problem)
    placeholder = "$1" if is_postgres(conn) else "?"
    expected, prev, count, confirmed = 1, GENESIS, 0, 0
    prev_row: dict[str, Any] | None = None
    while True:
        rows = await conn.execute_query_dict(
            f"SELECT {_COLUMNS} FROM audit_record WHERE seq >= {placeholder} "  # noqa: S608
            f"ORDER BY seq LIMIT {int(batch)}",
            [expected],
        )
        for row in rows:
            seq, rid = int(row["seq"]), int(row["id"])
            last = ChainHead(expected - 1, prev)
            if head is not None and seq > head.seq:
                detail = f"it is past the chain head (seq {head.seq})"
                return ChainReport(
                    count, head, last, confirmed, Problem("inserted", seq, rid, detail)
                )
            if seq != expected:
                missing = str(expected) if seq == expected + 1 else f"{expected}..{seq - 1}"
                problem = Problem("deleted", seq, rid, f"seq {missing} missing before it")
                return ChainReport(count, head, last, confirmed, problem)
            judged = await _judge(conn, row, prev, prev_row)
            if judged is not None:
                return ChainReport(count, head, last, confirmed, judged)
            if seq in checkpoints:
                if checkpoints[seq] != row["hash"]:
                    detail = "its hash differs from the checkpoint: the chain was rewritten"
                    problem = Problem("edited", seq, rid, detail)
                    return ChainReport(count, head, last, confirmed, problem)
                confirmed += 1
            prev, prev_row, expected, count = str(row["hash"]), row, expected + 1, count + 1
        if len(rows) < batch:
            break
    last = ChainHead(expected - 1, prev)
    last_id = int(prev_row["id"]) if prev_row is not None else None
    beyond = [s for s in checkpoints if s > last.seq]
    if beyond:
        detail = f"the chain ends at seq {last.seq} but a checkpoint names seq {min(beyond)}"
        problem = Problem("deleted", None, None, detail + ": the newest records were removed")
        return ChainReport(count, head, last, confirmed, problem)
    if head is None:
        if last.seq:
            problem = Problem(
                "deleted", None, None, "the chain head row (audit_chain_head) is gone"
            )
            return ChainReport(count, head, last, confirmed, problem)
    elif head.seq > last.seq:
        detail = f"the chain ends at seq {last.seq} but its head says seq {head.seq}"
        problem = Problem("deleted", None, None, detail + ": the newest records were removed")
        return ChainReport(count, head, last, confirmed, problem)
    elif head.hash != last.hash:
        detail = "its hash differs from the chain head's: it was rewritten"
        return ChainReport(
            count, head, last, confirmed, Problem("edited", last.seq, last_id, detail)
        )
    return ChainReport(count, head, last, confirmed, None)


async def verify_chain(*, checkpoints: Iterable[ChainHead] = (), batch: int = 1000) -> ChainReport:
    """Recompute the whole chain in one consistent snapshot; the first problem, if any."""
    wanted = {c.seq: c.hash for c in checkpoints}
    async with in_transaction() as conn:
        if is_postgres(conn):
            await conn.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return await _scan(conn, wanted, batch)
