"""Reference data: idempotent loading from the versioned files, admin additions, and the
catalog the rules use (built from the stored rows, so admin additions count)."""

from __future__ import annotations

import json
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from tortoise import Tortoise
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from schema.actor import Actor
from schema.enums import AuditAction, ReferenceSource, Role
from schema.errors import Conflict, Forbidden, InvalidInput
from schema.models import ReferenceEntry
from schema.reference.catalog import DATA_DIR, Catalog, CatalogError, catalog_from_documents
from schema.services.audit import write_audit

__all__ = [
    "ADMIN_KINDS",
    "CATALOG_MAX_AGE_SECONDS",
    "CatalogCache",
    "add_reference_entry",
    "authority_codes",
    "catalog_documents",
    "current_catalog",
    "load_reference_data",
    "read_documents",
]

# What admins may extend at run time (the rest changes only with a new data file version).
ADMIN_KINDS = frozenset(
    {"authorities", "specialties", "batches", "return_reasons", "revocation_reasons"}
)


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
    documents = read_documents(data_dir)
    catalog_from_documents(documents)  # refuse to load data that does not check
    lines: list[str] = []
    for kind, doc in documents.items():
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
                        source=ReferenceSource.FILE,
                        file_version=version,
                        created_at=now,
                        updated_at=now,
                        using_db=conn,
                    )
                    added += 1
                elif row.source == ReferenceSource.FILE and (row.data != entry or row.file_version != version):
                    row.data, row.file_version, row.updated_at = entry, version, now
                    await row.save(using_db=conn)
                    updated += 1
            if added or updated:
                await write_audit(
                    actor=None,
                    action=AuditAction.REFERENCE_LOADED,
                    entity_type="reference",
                    entity_id=kind,
                    now=now,
                    after={"version": version, "added": added, "updated": updated},
                    using_db=conn,
                )
        if added or updated:
            _forget_catalog()
        lines.append(f"reference {kind} v{version}: {added} added, {updated} updated")
    return lines


#: How long a process serves its catalog before asking the database whether the rows changed
#: (a COUNT/MAX query): an entry another process added is seen here within this bound; the
#: process that changed the rows sees the change at once (docs/operations.md).
CATALOG_MAX_AGE_SECONDS = 2.0


class CatalogCache:
    """One process's catalog, revalidated by revision at most every ``max_age`` seconds.

    The revision is the rows' count and last change; the cache also remembers which database
    connection it was read from, so a process that opens another database (the test suite)
    never serves the previous one's catalog.
    """

    def __init__(self, *, max_age: float = CATALOG_MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._catalog: Catalog | None = None
        self._revision: tuple[int, datetime | None] | None = None
        self._connection: weakref.ref[object] | None = None
        self._checked_at = 0.0
        self._checking = False

    def forget(self) -> None:
        """Read the rows again on the next call (this process changed them)."""
        self._catalog = self._revision = self._connection = None

    async def get(self) -> Catalog:
        connection = Tortoise.get_connection("default")
        catalog = self._catalog
        read_from = self._connection() if self._connection is not None else None
        if catalog is not None and read_from is connection:
            if self._checking or time.monotonic() - self._checked_at < self.max_age:
                # Fresh, or another request is asking the rows right now: one question at
                # a time (a burst of requests falling due together once queued a query each
                # for the pool, the tail latency of issue 10's verification benchmark).
                return catalog
        else:
            catalog = None
        checked_at = time.monotonic()
        self._checking = True
        try:
            revision = await _stored_revision()
            if catalog is None or revision != self._revision:
                catalog = catalog_from_documents(await _documents_from_rows())
                self._catalog, self._revision = catalog, revision
                self._connection = weakref.ref(connection)
            self._checked_at = checked_at
        finally:
            self._checking = False
        return catalog


async def _stored_revision() -> tuple[int, datetime | None]:
    stats = (
        await ReferenceEntry.all()
        .annotate(n=Count("id"), last=Max("updated_at"))
        .values("n", "last")
    )
    return (stats[0]["n"], stats[0]["last"]) if stats else (0, None)


_process_catalog = CatalogCache()


async def _documents_from_rows() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    rows = (
        await ReferenceEntry.filter(active=True)
        .order_by("id")
        .values("kind", "data", "file_version")
    )
    for row in rows:
        doc = docs.setdefault(row["kind"], {"version": 1, "entries": []})
        doc["version"] = max(doc["version"], row["file_version"] or 1)
        doc["entries"].append(row["data"])
    return docs


async def catalog_documents() -> dict[str, dict[str, Any]]:
    """The stored reference data as plain documents (``catalog_from_documents`` rebuilds the
    catalog from them in another process)."""
    return await _documents_from_rows()


async def current_catalog() -> Catalog:
    """The catalog as stored (files + admin additions), from this process's cache: rebuilt
    only when the rows change, and the rows asked about at most every
    ``CATALOG_MAX_AGE_SECONDS`` (at once after this process changed them). The same object
    is returned until the data changes, so callers may key their own caches on it."""
    return await _process_catalog.get()


def _forget_catalog() -> None:
    _process_catalog.forget()


async def add_reference_entry(
    *, actor: Actor, kind: str, entry: dict[str, Any], now: datetime
) -> ReferenceEntry:
    """Admins add an entry (e.g. an approving authority or a specialty); the whole catalog
    must still check with it, or nothing is stored."""
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有系统管理员可以维护基础数据")
    if kind not in ADMIN_KINDS:
        raise InvalidInput.one("REFERENCE_KIND", f"不能在线添加此类基础数据：{kind}", "kind")
    try:
        code = _entry_code(kind, entry)
    except ValueError:
        raise InvalidInput.one(
            "REFERENCE_CODE", "基础数据条目必须有代码（code）", "entry"
        ) from None
    if await ReferenceEntry.filter(kind=kind, code=code).exists():
        raise Conflict(f"代码{code}已存在", code="REFERENCE_EXISTS", field="entry")
    docs = await _documents_from_rows()
    docs.setdefault(kind, {"version": 1, "entries": []})["entries"].append(entry)
    try:
        catalog_from_documents(docs)
    except CatalogError as exc:
        raise InvalidInput.one("REFERENCE_INVALID", f"基础数据条目不合规：{exc}", "entry") from None
    async with in_transaction() as conn:
        if await ReferenceEntry.filter(kind=kind, code=code).using_db(conn).exists():
            raise Conflict(f"代码{code}已存在", code="REFERENCE_EXISTS", field="entry")
        row = await ReferenceEntry.create(
            kind=kind,
            code=code,
            data=entry,
            source=ReferenceSource.ADMIN,
            file_version=0,
            created_at=now,
            updated_at=now,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.REFERENCE_ADDED,
            entity_type="reference",
            entity_id=f"{kind}:{code}",
            now=now,
            after=entry,
            using_db=conn,
        )
    _forget_catalog()
    return row


async def authority_codes() -> frozenset[str]:
    rows = await ReferenceEntry.filter(kind="authorities", active=True).values_list(
        "code", flat=True
    )
    # Tortoise types values_list as tuples even with flat=True.
    return frozenset(cast("list[str]", rows))
