"""`ecert audit verify` and `ecert audit checkpoint` as an operator runs them (a real
subprocess on a real database), after tampering done in raw SQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from schema.db import close_db, open_db
from tests.ops.test_cli import _ecert
from tests.support.audit_chain import sql, write_records
from tests.support.databases import forget_cached_sql

T = TypeVar("T")


def _on(database_url: str, work: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        forget_cached_sql()
        await open_db(database_url)
        try:
            return await work()
        finally:
            await close_db()

    return asyncio.run(run())


async def _records() -> list[tuple[int, int]]:
    """(seq, id) of three new records, oldest first."""
    written = await write_records(3)
    rows = await sql("SELECT seq, id FROM audit_record WHERE id >= $1 ORDER BY seq", written[0].id)
    return [(int(r["seq"]), int(r["id"])) for r in rows]


def test_verify_reports_an_intact_chain(database_url):
    records = _on(database_url, _records)
    result = _ecert(database_url, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"audit chain intact: {records[-1][0]} records, head ")


def test_verify_names_the_edited_record_in_one_line(database_url):
    records = _on(database_url, _records)
    seq, rid = records[1]

    async def edit() -> None:
        await sql("UPDATE audit_record SET entity_id = 'r-forged' WHERE id = $1", rid)

    _on(database_url, edit)
    result = _ecert(database_url, "audit", "verify")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"ecert: audit chain broken: edited: record seq={seq} id={rid}: "
        "its content does not match its hash"
    ]


def test_a_checkpoint_catches_a_deleted_tail_the_head_no_longer_shows(database_url, tmp_path: Path):
    _on(database_url, _records)
    kept_file = tmp_path / "audit-checkpoints.txt"
    result = _ecert(database_url, "audit", "checkpoint", "--append", str(kept_file))
    assert result.returncode == 0, result.stderr
    checkpoint = result.stdout.strip()
    assert kept_file.read_text().startswith(checkpoint + " ")
    last = int(checkpoint.split(":")[0])

    async def cut_tail() -> None:
        kept = (await sql("SELECT seq, hash FROM audit_record WHERE seq = $1", last - 1))[0]
        await sql("DELETE FROM audit_record WHERE seq = $1", last)
        await sql(
            "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1",
            kept["seq"],
            kept["hash"],
        )

    _on(database_url, cut_tail)
    assert _ecert(database_url, "audit", "verify").returncode == 0  # no outside anchor
    result = _ecert(database_url, "audit", "verify", "--checkpoint-file", str(kept_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith(
        f"ecert: audit chain broken: deleted: the chain ends at seq {last - 1} "
        f"but a checkpoint names seq {last}"
    )


def test_a_malformed_checkpoint_is_a_usage_error(tmp_path: Path):
    result = _ecert(f"sqlite://{tmp_path / 'unused.sqlite3'}", "audit", "verify", "--checkpoint", "12:abc")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["ecert: not a checkpoint (SEQ:SHA256HEX): '12:abc'"]


def test_an_unmigrated_database_is_a_configuration_error(tmp_path: Path):
    result = _ecert(f"sqlite://{tmp_path / 'empty.sqlite3'}", "audit", "verify")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("ecert: cannot read the audit chain (") and "ecert migrate" in line
