"""Issued certificates: the holder's view, corrections (更正) and revocation (撤销).

A signed certificate is never edited in place. An approved correction issues a new version
(same number, same lineage, version + 1, freshly signed) and marks the old one superseded,
pointing to the new one. Revocation keeps a reason category (public) and notes (private);
undoing it is its own audited action.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound, Problem
from schema.models import (
    Account,
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    IssuedNumber,
    Registration,
)
from schema.reference.catalog import Catalog
from schema.registration_form import FIELD_COLUMNS, STEP_FIELDS, check_step
from schema.services.audit import write_audit
from schema.services.issuance import CertificateContent, Issuer
from schema.services.paging import Page, keyset_page
from schema.services.reasons import listed_reason
from schema.services.registrations import claim_keys, stored_values
from schema.services.review import specialty_text

__all__ = [
    "decide_correction",
    "get_holder_certificate",
    "my_certificates",
    "my_correction_requests",
    "pending_corrections",
    "reinstate_certificate",
    "request_correction",
    "revoke_certificate",
]

MY_CERTIFICATES_CURSOR = "mc"
MY_CORRECTIONS_CURSOR = "mq"
PENDING_CORRECTIONS_CURSOR = "cq"


async def _holder_account(actor: Actor) -> Account:
    if actor.account_id is None or actor.role is not Role.APPLICANT:
        raise Forbidden("只有证书持有人本人可以进行此操作")
    return await Account.get(id=actor.account_id)


async def my_certificates(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[Certificate]:
    """Every version of the holder's certificates, in the order they were issued (a
    correction's new version after the one it replaces)."""
    account = await _holder_account(actor)
    query = Certificate.filter(holder_id_hmac=account.id_number_hmac)
    return await keyset_page(query, kind=MY_CERTIFICATES_CURSOR, first=first, after=after)


async def my_correction_requests(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[CorrectionRequest]:
    """The holder's correction requests, newest first: the decision and its reason (Q9)."""
    account = await _holder_account(actor)
    query = CorrectionRequest.filter(certificate__holder_id_hmac=account.id_number_hmac)
    return await keyset_page(
        query, kind=MY_CORRECTIONS_CURSOR, first=first, after=after, newest_first=True
    )


async def get_holder_certificate(*, actor: Actor, cert_id: str) -> Certificate:
    account = await _holder_account(actor)
    cert = await Certificate.get_or_none(cert_id=cert_id)
    if cert is None or cert.holder_id_hmac != account.id_number_hmac:
        raise NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")
    return cert


def _may_decide(actor: Actor, authority_code: str) -> bool:
    return actor.role is Role.ADMIN or (
        actor.role is Role.REVIEWER and actor.authority_code == authority_code
    )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


async def request_correction(
    *,
    actor: Actor,
    cert_id: str,
    reason: str,
    changes: Mapping[str, str],
    catalog: Catalog,
    now: datetime,
) -> CorrectionRequest:
    """The holder asks the responsible authority to correct fields of an issued certificate."""
    account = await _holder_account(actor)
    reason = reason.strip()
    if len(reason) < 5:
        raise InvalidInput.one(
            "CORRECTION_REASON_REQUIRED", "请说明需要更正的客观原因（不少于5个字）", "reason"
        )
    if not changes:
        raise InvalidInput.one("CORRECTION_CHANGES_REQUIRED", "请填写需要更正的项目", "changes")
    allowed = {c.field for c in catalog.correction_fields}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        names = "、".join(c.name for c in catalog.correction_fields)
        raise InvalidInput.one(
            "CORRECTION_FIELD_NOT_ALLOWED", f"可申请更正的项目为：{names}", "changes"
        )
    if set(changes) - FIELD_COLUMNS.keys():
        # The photo is listed as correctable, but a new photo is a file the authority must
        # see and review, not a text value: it cannot be requested through this form.
        raise InvalidInput.one(
            "CORRECTION_PHOTO_NOT_ONLINE",
            "个人照片的更正请携带符合要求的近期证件照向审批机关申请",
            "changes",
        )
    async with in_transaction() as conn:
        cert = await Certificate.select_for_update().using_db(conn).get_or_none(cert_id=cert_id)
        if cert is None or cert.holder_id_hmac != account.id_number_hmac:
            raise NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId")
        if cert.status is not CertificateStatus.VALID:
            raise InvalidState("只有有效的证书可以申请更正", code="CERTIFICATE_NOT_VALID")
        if (
            await CorrectionRequest.filter(certificate_id=cert.id, status=CorrectionStatus.PENDING)
            .using_db(conn)
            .exists()
        ):
            raise InvalidState("该证书已有待处理的更正申请", code="CORRECTION_PENDING")
        reg = await Registration.get(id=cert.registration_id).using_db(conn)
        clean = _validated_changes(reg, changes, catalog, now, account.birth_date)
        request = await CorrectionRequest.create(
            public_id=secrets.token_hex(12),
            certificate=cert,
            applicant=account,
            authority_code=cert.authority_code,
            reason=reason,
            changes={"raw": dict(changes), "clean": _plain(clean)},
            status=CorrectionStatus.PENDING,
            created_at=now,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.CORRECTION_REQUESTED,
            entity_type="certificate",
            entity_id=cert.cert_id,
            now=now,
            after={"correction": request.public_id, "changes": dict(changes)},
            note=reason,
            using_db=conn,
        )
    return request


def _validated_changes(
    reg: Registration,
    changes: Mapping[str, str],
    catalog: Catalog,
    now: datetime,
    birth_date: date | None,
) -> dict[str, Any]:
    """Run each touched wizard step with the new values against the stored ones."""
    stored = stored_values(reg)
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for step, names in STEP_FIELDS.items():
        submitted = {name: changes[name] for name in names if name in changes}
        if not submitted:
            continue
        result = check_step(
            step,
            submitted,
            {**stored, **clean},
            catalog=catalog,
            today=now.date(),
            birth_date=birth_date,
        )
        problems.extend(result.problems)
        clean.update(result.values)
    if problems:
        raise InvalidInput(problems)
    touched = {
        col
        for name in changes
        for col in (
            (FIELD_COLUMNS[name],) if isinstance(FIELD_COLUMNS[name], str) else FIELD_COLUMNS[name]
        )
    }
    return {k: v for k, v in clean.items() if k in touched or stored.get(k) != v}


async def pending_corrections(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[CorrectionRequest]:
    """Pending correction requests of the reviewer's authority (an admin: all), oldest first."""
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        raise Forbidden("只有审批机关审核人员可以处理更正申请")
    query = CorrectionRequest.filter(status=CorrectionStatus.PENDING)
    if actor.role is Role.REVIEWER:
        query = query.filter(authority_code=actor.authority_code)
    return await keyset_page(
        query.prefetch_related("certificate"),
        kind=PENDING_CORRECTIONS_CURSOR,
        first=first,
        after=after,
    )


async def decide_correction(
    *,
    actor: Actor,
    correction_id: str,
    approve: bool,
    note: str | None,
    issuer: Issuer,
    catalog: Catalog,
    now: datetime,
) -> CorrectionRequest:
    """Approve → a new signed version, the old one superseded; reject → reason recorded."""
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        raise Forbidden("只有审批机关审核人员可以处理更正申请")
    note = (note or "").strip() or None
    if not approve and not note:
        raise InvalidInput.one("CORRECTION_REJECT_REASON", "驳回更正申请须填写理由", "note")
    async with in_transaction() as conn:
        request = (
            await CorrectionRequest.select_for_update()
            .using_db(conn)
            .get_or_none(public_id=correction_id)
        )
        if request is None or not _may_decide(actor, request.authority_code):
            raise NotFound(
                "更正申请不存在或不属于本审批机关", code="CORRECTION_NOT_FOUND", field="id"
            )
        if request.status is not CorrectionStatus.PENDING:
            raise InvalidState("该更正申请已处理", code="CORRECTION_DECIDED")
        request.decision_note = note
        request.decided_by_id = actor.account_id
        request.decided_at = now
        if not approve:
            request.status = CorrectionStatus.REJECTED
            await request.save(using_db=conn)
            cert = await Certificate.get(id=request.certificate_id).using_db(conn)
            await write_audit(
                actor=actor,
                action=AuditAction.CORRECTION_REJECTED,
                entity_type="certificate",
                # The certificate's public id, as every certificate event (its history
                # is read by cert_id), not the row's primary key.
                entity_id=cert.cert_id,
                now=now,
                after={"correction": request.public_id},
                note=note,
                using_db=conn,
            )
            return request
        old = await Certificate.select_for_update().using_db(conn).get(id=request.certificate_id)
        if old.status is not CertificateStatus.VALID:
            raise InvalidState("原证书已不是有效状态，不能更正", code="CERTIFICATE_NOT_VALID")
        reg = await Registration.select_for_update().using_db(conn).get(id=old.registration_id)
        clean = _parse_clean(request.changes["clean"])
        for column, value in clean.items():
            setattr(reg, column, value)
        reg.updated_at = now
        await reg.save(using_db=conn)
        # The corrected certificate must still be unique for its holder.
        await claim_keys(reg, conn)
        # A correction keeps the certificate's number, unless the number itself is what is
        # corrected (a paper number, before 2021: check_step refuses it for later titles).
        number = old.number
        if clean.get("certificate_number") and clean["certificate_number"] != old.number:
            number = clean["certificate_number"]
            await _renumber(old.lineage_id, number, conn)
        content = CertificateContent(
            holder_name=old.holder_name,
            holder_id_masked=old.holder_id_masked,
            holder_id_hmac=old.holder_id_hmac,
            holder_account_id=old.holder_id,
            number=number,
            level=reg.level or old.level,
            series_code=reg.series_code or old.series_code,
            title_name=reg.title_name or old.title_name,
            way_obtained=reg.way_obtained or old.way_obtained,
            specialty=specialty_text(reg.specialty, reg.local_specialty, reg.series_code, catalog),
            approval_document=reg.approval_document or old.approval_document,
            obtained_on=reg.obtained_on or old.obtained_on,
            issued_on=reg.issued_on or old.issued_on,
            authority_code=reg.authority_code or old.authority_code,
            review_body=reg.review_body or old.review_body,
            validity_scope=reg.validity_scope or old.validity_scope,
            provenance=old.provenance,
            photo_sha256=reg.photo_sha256 or old.photo_sha256,
        )
        new = await issuer.issue(
            registration=reg,
            content=content,
            version=old.version + 1,
            lineage_id=old.lineage_id,
            now=now,
            conn=conn,
        )
        old.status = CertificateStatus.SUPERSEDED
        old.superseded_by_id = new.id
        old.superseded_at = now
        await old.save(using_db=conn)
        request.status = CorrectionStatus.APPROVED
        request.new_certificate_id = new.id
        await request.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.CERTIFICATE_SUPERSEDED,
            entity_type="certificate",
            entity_id=old.cert_id,
            now=now,
            after={"supersededBy": new.cert_id, "correction": request.public_id},
            note=note,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.CERTIFICATE_ISSUED,
            entity_type="certificate",
            entity_id=new.cert_id,
            now=now,
            after={
                "version": new.version,
                "supersedes": old.cert_id,
                "changes": request.changes["clean"],
            },
            using_db=conn,
        )
    return request


async def _renumber(lineage_id: str, number: str, conn: Any) -> None:
    """Move the lineage's claim to its corrected number (numbers are globally unique)."""
    try:
        async with in_transaction() as savepoint:
            await (
                IssuedNumber.filter(lineage_id=lineage_id).using_db(savepoint).update(number=number)
            )
    except IntegrityError:
        raise InvalidState(
            f"证书编号{number}已被其他证书使用，不能更正为该编号",
            code="CERTIFICATE_NUMBER_TAKEN",
        ) from None


def _parse_clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("obtained_on", "issued_on") and isinstance(value, str):
            out[key] = date.fromisoformat(value)
        else:
            out[key] = value
    return out


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


async def _decidable_certificate(actor: Actor, cert_id: str, conn: Any) -> Certificate:
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        raise Forbidden("只有审批机关可以撤销或恢复证书")
    cert = await Certificate.select_for_update().using_db(conn).get_or_none(cert_id=cert_id)
    if cert is None or not _may_decide(actor, cert.authority_code):
        raise NotFound("证书不存在或不属于本审批机关", code="CERTIFICATE_NOT_FOUND", field="certId")
    return cert
