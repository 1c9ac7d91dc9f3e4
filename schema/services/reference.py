"""Reference data: idempotent loading from the versioned files, and lookups."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from schema.models import ReferenceEntry
from schema.services.audit import write_audit

__all__ = ["DATA_DIR", "authority_codes", "load_reference_data", "read_documents"]

DATA_DIR = Path(__file__).resolve().parent.parent / "reference" / "data"


def read_documents(data_dir: Path = DATA_DIR) -> dict[str, dict[str, Any]]:
    """Every data file, by kind (the file's stem): ``{"version": int, "entries": [...]}``."""
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(data_dir.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc.get("version"), int) or not isinstance(doc.get("entries"), list):
            raise ValueError(f"{path.name}: needs an integer 'version' and a list 'entries'")
        docs[path.stem] = doc
    return docs


def _entry_code(kind: str, entry: dict[str, Any]) -> str:
    # Most kinds are keyed by "code"; correction_fields by the API field name.
    code = entry.get("code", entry.get("field"))
    if not isinstance(code, str) or not code:
        raise ValueError(f"{kind}: every entry needs a string 'code' (or 'field')")
    return code


async def load_reference_data(
    data_dir: Path = DATA_DIR, *, now: datetime | None = None
) -> list[str]:
    """Insert new file entries and update changed ones; never touches admin-added rows.

    Returns one summary line per kind. Running it twice changes nothing the second time.
    """
    now = now or datetime.now(UTC)
    lines: list[str] = []
    for kind, doc in read_documents(data_dir).items():
        version = doc["version"]
        added = updated = 0
        async with in_transaction() as conn:
            existing = {
                row.code: row for row in await ReferenceEntry.filter(kind=kind).using_db(conn).all()
            }
            for entry in doc["entries"]:
                code = _entry_code(kind, entry)
                row = existing.get(code)
                if row is None:
                    await ReferenceEntry.create(
                        kind=kind,
                        code=code,
                        data=entry,
                        source="file",
                        file_version=version,
                        created_at=now,
                        updated_at=now,
                        using_db=conn,
                    )
                    added += 1
                elif row.source == "file" and (row.data != entry or row.file_version != version):
                    row.data, row.file_version, row.updated_at = entry, version, now
                    await row.save(using_db=conn)
                    updated += 1
            if added or updated:
                await write_audit(
                    actor=None,
                    action="reference.loaded",
                    entity_type="reference",
                    entity_id=kind,
                    now=now,
                    after={"version": version, "added": added, "updated": updated},
                    using_db=conn,
                )
        lines.append(f"reference {kind} v{version}: {added} added, {updated} updated")
    return lines


async def authority_codes() -> frozenset[str]:
    rows = await ReferenceEntry.filter(kind="authorities", active=True).values_list(
        "code", flat=True
    )
    return frozenset(rows)
