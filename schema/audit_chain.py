"""The audit log's hash chain: what one record's hash covers, and how it is encoded.

Pure functions, no database: used by the writers (``schema.services.audit``), the verifier
(``schema.services.audit_verify``) and migration ``0009_audit_chain``, which must all agree
byte for byte.

Canonical encoding (format version 1)
-------------------------------------
A record's hash is ``SHA-256`` (lowercase hex) of the UTF-8 bytes of one JSON object::

    {"action":…,"actor_id":…,"actor_role":…,"after":…,"at":…,"before":…,"entity_id":…,
     "entity_type":…,"id":…,"note":…,"prev_hash":…,"request_id":…,"seq":…,"v":1}

- keys sorted, no whitespace (separators ``,`` and ``:``), non-ASCII characters written as
  themselves (``ensure_ascii=False``), at every depth of ``before``/``after`` too;
- ``at`` is the timestamp in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fractional
  digits; a naive timestamp is taken as UTC, as the ORM stores it);
- ``id``, ``seq``, ``actor_id`` are JSON integers; ``actor_role``, ``action``,
  ``entity_type``, ``entity_id``, ``note``, ``request_id`` are strings or ``null``;
- ``before``/``after`` are the JSON documents as stored (``null`` when absent), with every
  float that is a whole number written as an integer (PostgreSQL's ``jsonb`` prints
  ``1e20`` and ``2.0`` back as integers, SQLite keeps the text: both must hash alike);
- ``prev_hash`` is the previous record's hash, or 64 zeros (``GENESIS``) for ``seq`` 1.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

__all__ = [
    "CHAINED_COLUMNS",
    "FORMAT_VERSION",
    "GENESIS",
    "ChainLink",
    "canonical_bytes",
    "link_from_row",
    "record_hash",
    "utc_text",
]

FORMAT_VERSION = 1
GENESIS = "0" * 64

# The audit_record columns a hash covers besides seq and prev_hash (and the hash itself).
CHAINED_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "note",
    "request_id",
)


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One audit record as the chain sees it."""

    id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str
    before: Any
    after: Any
    note: str | None
    request_id: str | None
    prev_hash: str


def utc_text(at: datetime) -> str:
    """The timestamp as hashed: UTC, microseconds, ``Z``."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    """A JSON document with whole floats as integers (see the module docstring)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def canonical_bytes(link: ChainLink) -> bytes:
    document = {
        "v": FORMAT_VERSION,
        "id": int(link.id),
        "seq": int(link.seq),
        "at": utc_text(link.at),
        "actor_id": None if link.actor_id is None else int(link.actor_id),
        "actor_role": _text(link.actor_role),
        "action": _text(link.action),
        "entity_type": _text(link.entity_type),
        "entity_id": _text(link.entity_id),
        "before": _plain(link.before),
        "after": _plain(link.after),
        "note": _text(link.note),
        "request_id": _text(link.request_id),
        "prev_hash": link.prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def record_hash(link: ChainLink) -> str:
    return hashlib.sha256(canonical_bytes(link)).hexdigest()


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    # SQLite keeps ISO text ("2026-01-01 00:00:00+00:00" or with a "T").
    return datetime.fromisoformat(str(value))


def _document(value: Any) -> Any:
    # asyncpg and SQLite hand JSON columns back as text; the ORM as parsed values.
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def link_from_row(
    row: Mapping[str, Any], *, seq: int | None = None, prev_hash: str | None = None
) -> ChainLink:
    """A raw ``audit_record`` row (as either database returns it) as a ``ChainLink``; ``seq``
    and ``prev_hash`` default to the row's own."""
    return ChainLink(
        id=int(row["id"]),
        seq=int(row["seq"] if seq is None else seq),
        at=_datetime(row["at"]),
        actor_id=None if row["actor_id"] is None else int(row["actor_id"]),
        actor_role=_text(row["actor_role"]),
        action=str(row["action"]),
        entity_type=str(row["entity_type"]),
        entity_id=str(row["entity_id"]),
        before=_document(row["before"]),
        after=_document(row["after"]),
        note=_text(row["note"]),
        request_id=_text(row["request_id"]),
        prev_hash=str(row["prev_hash"] if prev_hash is None else prev_hash),
    )
