"""The history of a record, read from the audit trail (every state change is there)."""

from __future__ import annotations

from schema.access import holder_account, is_holder_of, is_reviewer_of, require_reviewer
from schema.actor import Actor
from schema.enums import Role
from schema.errors import NotFound
from schema.models import AuditRecord, Certificate, Registration
from schema.services.keys import get_by_key

__all__ = ["certificate_history", "registration_history"]


async def _viewer_may_see(actor: Actor, record: Registration | Certificate) -> bool:
    """Its holder, the reviewers of its authority and admins (``schema.access``'s gates)."""
    if actor.role is Role.APPLICANT and actor.account_id is not None:
        return is_holder_of(await holder_account(actor), record)
    return is_reviewer_of(actor, record.authority_code)


async def registration_history(*, actor: Actor, registration_id: str) -> list[AuditRecord]:
    """Every round of a registration, oldest first (holder, its authority's reviewers, admins)."""
    reg = await get_by_key(Registration, public_id=registration_id)
    if reg is None or not await _viewer_may_see(actor, reg):
        raise NotFound("登记记录不存在", code="REGISTRATION_NOT_FOUND", field="id")
    return list(
        await AuditRecord.filter(entity_type="registration", entity_id=reg.public_id).order_by("id")
    )


async def certificate_history(*, actor: Actor, cert_id: str) -> list[AuditRecord]:
    """Every event of a certificate's lineage (all versions): its holder, the reviewers of
    its authority and admins."""
    if actor.role is not Role.APPLICANT:
        require_reviewer(actor)
    cert = await get_by_key(Certificate, cert_id=cert_id)
    if cert is None or not await _viewer_may_see(actor, cert):
        raise NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")
    versions = await Certificate.filter(lineage_id=cert.lineage_id).values_list(
        "cert_id", flat=True
    )
    return list(
        await AuditRecord.filter(entity_type="certificate", entity_id__in=list(versions)).order_by(
            "id"
        )
    )
