"""Revocation (撤销) of an issued certificate by its authority, and undoing it (恢复).

Revocation keeps a reason category (public) and notes (private); undoing it is its own
audited action. Only a reviewer of the certificate's authority (or an admin) may do either
(``schema.access``).
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from schema.access import require_reviewer, require_reviewer_of
from schema.actor import Actor
from schema.enums import AuditAction
from schema.errors import InvalidInput, InvalidState, NotFound
from schema.models import Certificate, CertificateStatus
from schema.reference.catalog import Catalog
from schema.services.audit import write_audit
from schema.services.keys import get_by_key
from schema.services.reasons import listed_reason

__all__ = ["reinstate_certificate", "revoke_certificate"]


async def revoke_certificate(
    *,
    actor: Actor,
    cert_id: str,
    reason_code: str,
    note: str | None,
    catalog: Catalog,
    now: datetime,
) -> Certificate:
    """Revoke the current version; the category is public, the notes stay private."""
    reason, note = listed_reason(
        catalog.revocation_reason, reason_code, note, prefix="REVOCATION", label="撤销原因"
    )
    async with in_transaction() as conn:
        cert = await _decidable_certificate(actor, cert_id, conn)
        if cert.status is not CertificateStatus.VALID:
            raise InvalidState("只有有效的证书可以撤销", code="CERTIFICATE_NOT_VALID")
        cert.status = CertificateStatus.REVOKED
        cert.revoked_at = now
        cert.revocation_reason = reason.code
        cert.revocation_note = note
        await cert.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.CERTIFICATE_REVOKED,
            entity_type="certificate",
            entity_id=cert.cert_id,
            now=now,
            before={"status": "VALID"},
            after={"status": "REVOKED", "reason": reason.code},
            note=note,
            using_db=conn,
        )
    return cert


async def reinstate_certificate(
    *, actor: Actor, cert_id: str, note: str, now: datetime
) -> Certificate:
    """Undo a revocation: only on purpose, with a reason, and audited as its own action."""
    note = note.strip()
    if len(note) < 5:
        raise InvalidInput.one(
            "REINSTATE_NOTE_REQUIRED", "恢复证书须说明理由（不少于5个字）", "note"
        )
    async with in_transaction() as conn:
        cert = await _decidable_certificate(actor, cert_id, conn)
        if cert.status is not CertificateStatus.REVOKED:
            raise InvalidState("只有已撤销的证书可以恢复", code="CERTIFICATE_NOT_REVOKED")
        before = {
            "status": "REVOKED",
            "reason": cert.revocation_reason,
            "revokedAt": cert.revoked_at.isoformat() if cert.revoked_at else None,
        }
        cert.status = CertificateStatus.VALID
        cert.revoked_at = None
        cert.revocation_reason = None
        cert.revocation_note = None
        await cert.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.CERTIFICATE_REINSTATED,
            entity_type="certificate",
            entity_id=cert.cert_id,
            now=now,
            before=before,
            after={"status": "VALID"},
            note=note,
            using_db=conn,
        )
    return cert


async def _decidable_certificate(
    actor: Actor, cert_id: str, conn: BaseDBAsyncClient
) -> Certificate:
    """The certificate, locked, if the actor reviews its authority."""
    require_reviewer(actor)
    return require_reviewer_of(
        actor,
        await get_by_key(Certificate.select_for_update().using_db(conn), cert_id=cert_id),
        missing=NotFound(
            "证书不存在或不属于本审批机关", code="CERTIFICATE_NOT_FOUND", field="certId"
        ),
    )
