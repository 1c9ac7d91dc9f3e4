"""What the register says about one scan, in one narrow query (raw SQL, no ORM model).

The verification page answers millions of scans: per scan it reads exactly one row — the
signing key named by the payload's kid, joined with the certificate of the scanned id —
and only the columns the verdict needs. The key's state (window, revocation) and the
certificate's state (superseded, revoked) are therefore always current: nothing about them
is cached between requests, in any process.

The correction chain (the rare 已更正 case) is walked with one small query per link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schema.models import CertificateStatus
from schema.services.narrow_rows import fetch_rows, stored_instant

__all__ = ["ChainLink", "ScanRow", "read_chain_link", "read_scan_row"]

# Parameters in order: the scanned COSE bytes (compared in the database: the stored payload
# never travels to the application), the cert_id, the kid.
_SCAN_SQL = (
    "SELECT k.public_key, k.not_before, k.retired_at, k.revoked_at AS key_revoked_at,"
    " c.status, c.signed_payload = {} AS same_payload, c.photo_sha256,"
    " c.superseded_at, c.superseded_by_id, c.revoked_at, c.revocation_reason,"
    " c.signed_at"
    " FROM signing_key AS k LEFT JOIN certificate AS c ON c.cert_id = {}"
    " WHERE k.kid = {}"
)
_LINK_SQL = (
    "SELECT id, cert_id, version, verification_url, superseded_by_id FROM certificate WHERE id = {}"
)


@dataclass(frozen=True, slots=True)
class ScanRow:
    """The signing key named by the scan, and the state of the scanned certificate id
    (``status`` None: no certificate has that id)."""

    public_key: bytes
    not_before: datetime
    retired_at: datetime | None
    key_revoked_at: datetime | None
    status: CertificateStatus | None
    same_payload: bool
    has_photo: bool
    superseded_at: datetime | None
    superseded_by_id: int | None
    revoked_at: datetime | None
    revocation_reason: str | None
    signed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChainLink:
    id: int
    cert_id: str
    version: int
    verification_url: str | None
    superseded_by_id: int | None


async def _one(template: str, params: list[Any]) -> dict[str, Any] | None:
    rows = await fetch_rows(template, params)
    return rows[0] if rows else None


async def read_scan_row(*, kid: str, cert_id: str, cose: bytes) -> ScanRow | None:
    """The key ``kid`` and the certificate ``cert_id`` (None: no such key)."""
    row = await _one(_SCAN_SQL, [cose, cert_id, kid])
    if row is None:
        return None
    status = row["status"]
    not_before = stored_instant(row["not_before"])
    assert not_before is not None  # NOT NULL column
    return ScanRow(
        public_key=bytes(row["public_key"]),
        not_before=not_before,
        retired_at=stored_instant(row["retired_at"]),
        key_revoked_at=stored_instant(row["key_revoked_at"]),
        status=None if status is None else CertificateStatus(status),
        same_payload=bool(row["same_payload"]),
        has_photo=bool(row["photo_sha256"]),
        superseded_at=stored_instant(row["superseded_at"]),
        superseded_by_id=row["superseded_by_id"],
        revoked_at=stored_instant(row["revoked_at"]),
        revocation_reason=row["revocation_reason"],
        signed_at=stored_instant(row["signed_at"]),
    )


async def read_chain_link(certificate_id: int) -> ChainLink | None:
    """One version of a correction chain, by its row id."""
    row = await _one(_LINK_SQL, [certificate_id])
    if row is None:
        return None
    return ChainLink(
        id=int(row["id"]),
        cert_id=str(row["cert_id"]),
        version=int(row["version"]),
        verification_url=row["verification_url"],
        superseded_by_id=row["superseded_by_id"],
    )
