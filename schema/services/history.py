"""The history of a record, read from the audit trail (every state change is there)."""

from __future__ import annotations

from schema.actor import Actor
from schema.enums import Role
from schema.errors import Forbidden, NotFound
from schema.models import Account, AuditRecord, Certificate, Registration

__all__ = ["certificate_history", "registration_history"]


async def _viewer_may_see(actor: Actor, *, holder_id_hmac: str, authority_code: str | None) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.REVIEWER:
        return actor.authority_code is not None and actor.authority_code == authority_code
    if actor.role is Role.APPLICANT and actor.account_id is not None:
        account = await Account.get(id=actor.account_id)
        return account.id_number_hmac == holder_id_hmac
    return False


async def registration_history(*, actor: Actor, registration_id: str) -> list[AuditRecord]:
    """Every round of a registration, oldest first (holder, its authority's reviewers, admins)."""
    reg = await Registration.get_or_none(public_id=registration_id)
    if reg is None or not await _viewer_may_see(
        actor, holder_id_hmac=reg.holder_id_hmac, authority_code=reg.authority_code
    ):
        raise NotFound("登记记录不存在", code="REGISTRATION_NOT_FOUND", field="id")
    return list(
        await AuditRecord.filter(entity_type="registration", entity_id=reg.public_id).order_by("id")
    )


async def certificate_history(*, actor: Actor, cert_id: str) -> list[AuditRecord]:
    """Every event of a certificate's lineage (all versions), for reviewers and admins."""
    if actor.role not in (Role.REVIEWER, Role.ADMIN, Role.APPLICANT):
        raise Forbidden()
    cert = await Certificate.get_or_none(cert_id=cert_id)
    if cert is None or not await _viewer_may_see(
        actor, holder_id_hmac=cert.holder_id_hmac, authority_code=cert.authority_code
    ):
        raise NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")
    versions = await Certificate.filter(lineage_id=cert.lineage_id).values_list(
        "cert_id", flat=True
    )
    return list(
        await AuditRecord.filter(entity_type="certificate", entity_id__in=list(versions)).order_by(
            "id"
        )
    )
