"""Corrections (更正) of issued certificates: the holder asks, the authority decides.

A signed certificate is never edited in place. An approved correction issues a new version
(same number, same lineage, version + 1, freshly signed) and marks the old one superseded,
pointing to the new one. A rejection records its reason. Who may ask and who may decide is
``schema.access``'s: the holder of the certificate; a reviewer of its authority (or an admin).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema.access import holder_account, require_holder_of, require_reviewer, require_reviewer_of
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import InvalidInput, InvalidState, NotFound, Problem
from schema.models import (
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    IssuedNumber,
    Registration,
)
from schema.pii import PiiProtector
from schema.qr_fit import qr_fit_problem
from schema.reference.catalog import Catalog
from schema.registration_form import FIELD_COLUMNS, STEP_FIELDS, check_step
from schema.services.account_pii import account_birth_date
from schema.services.audit import write_audit
from schema.services.issuance import CertificateContent, Issuer
from schema.services.keys import get_by_key
from schema.services.paging import Page, keyset_page
from schema.services.registrations import claim_keys, stored_values
from schema.services.review import specialty_text

__all__ = [
    "decide_correction",
    "my_correction_requests",
    "pending_corrections",
    "request_correction",
]

MY_CORRECTIONS_CURSOR = "mq"
PENDING_CORRECTIONS_CURSOR = "cq"


# --- the holder's side -------------------------------------------------------------------


async def my_correction_requests(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[CorrectionRequest]:
    """The holder's correction requests, newest first: the decision and its reason (Q9)."""
    account = await holder_account(actor)
    query = CorrectionRequest.filter(certificate__holder_id_hmac=account.id_number_hmac)
    return await keyset_page(
        query, kind=MY_CORRECTIONS_CURSOR, first=first, after=after, newest_first=True
    )


async def request_correction(
    *,
    actor: Actor,
    cert_id: str,
    reason: str,
    changes: Mapping[str, str],
    catalog: Catalog,
    pii: PiiProtector,
    now: datetime,
) -> CorrectionRequest:
    """The holder asks the responsible authority to correct fields of an issued certificate.
    ``pii`` opens the holder's ID number for the birth date the date rules need."""
    account = await holder_account(actor)
    reason = _checked_request(reason, changes, catalog)
    async with in_transaction() as conn:
        cert = require_holder_of(
            account,
            await get_by_key(Certificate.select_for_update().using_db(conn), cert_id=cert_id),
            missing=NotFound("证书不存在", code="CERTIFICATE_NOT_FOUND", field="certId"),
        )
        if cert.status is not CertificateStatus.VALID:
            raise InvalidState("只有有效的证书可以申请更正", code="CERTIFICATE_NOT_VALID")
        if (
            await CorrectionRequest.filter(certificate_id=cert.id, status=CorrectionStatus.PENDING)
            .using_db(conn)
            .exists()
        ):
            raise InvalidState("该证书已有待处理的更正申请", code="CORRECTION_PENDING")
        reg = await Registration.get(id=cert.registration_id, using_db=conn)
        clean = _validated_changes(reg, changes, catalog, now, account_birth_date(account, pii))
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


def _checked_request(reason: str, changes: Mapping[str, str], catalog: Catalog) -> str:
    """The stripped reason, once the request names only fields that may be corrected online."""
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
    return reason


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
    too_long = qr_fit_problem(
        {**stored, **clean},
        holder_name=reg.holder_name,
        holder_id_masked=reg.holder_id_masked,
        catalog=catalog,
        fields=tuple(changes),
    )
    if too_long is not None:
        raise InvalidInput([too_long])
    touched = {
        col
        for name in changes
        for col in (
            (FIELD_COLUMNS[name],) if isinstance(FIELD_COLUMNS[name], str) else FIELD_COLUMNS[name]
        )
    }
    return {k: v for k, v in clean.items() if k in touched or stored.get(k) != v}


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def _parse_clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("obtained_on", "issued_on") and isinstance(value, str):
            out[key] = date.fromisoformat(value)
        else:
            out[key] = value
    return out


# --- the authority's side ----------------------------------------------------------------


async def pending_corrections(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[CorrectionRequest]:
    """Pending correction requests of the reviewer's authority (an admin: all), oldest first."""
    require_reviewer(actor)
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
    require_reviewer(actor)
    note = (note or "").strip() or None
    if not approve and not note:
        raise InvalidInput.one("CORRECTION_REJECT_REASON", "驳回更正申请须填写理由", "note")
    async with in_transaction() as conn:
        request = await _pending_request(actor, correction_id, conn)
        request.decision_note = note
        request.decided_by_id = actor.account_id
        request.decided_at = now
        if approve:
            await _approve(
                request, actor=actor, note=note, issuer=issuer, catalog=catalog, now=now, conn=conn
            )
        else:
            await _reject(request, actor=actor, note=note, now=now, conn=conn)
    return request


async def _pending_request(
    actor: Actor, correction_id: str, conn: BaseDBAsyncClient
) -> CorrectionRequest:
    """The request, locked, if it is pending and of the actor's authority."""
    request = require_reviewer_of(
        actor,
        await get_by_key(
            CorrectionRequest.select_for_update().using_db(conn), public_id=correction_id
        ),
        missing=NotFound(
            "更正申请不存在或不属于本审批机关", code="CORRECTION_NOT_FOUND", field="id"
        ),
    )
    if request.status is not CorrectionStatus.PENDING:
        raise InvalidState("该更正申请已处理", code="CORRECTION_DECIDED")
    return request


async def _reject(
    request: CorrectionRequest,
    *,
    actor: Actor,
    note: str | None,
    now: datetime,
    conn: BaseDBAsyncClient,
) -> None:
    request.status = CorrectionStatus.REJECTED
    await request.save(using_db=conn)
    cert = await Certificate.get(id=request.certificate_id, using_db=conn)
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


async def _approve(
    request: CorrectionRequest,
    *,
    actor: Actor,
    note: str | None,
    issuer: Issuer,
    catalog: Catalog,
    now: datetime,
    conn: BaseDBAsyncClient,
) -> None:
    """Apply the changes to the registration, issue the next version, supersede the old."""
    old = await Certificate.select_for_update().using_db(conn).get(id=request.certificate_id)
    if old.status is not CertificateStatus.VALID:
        raise InvalidState("原证书已不是有效状态，不能更正", code="CERTIFICATE_NOT_VALID")
    clean = _parse_clean(request.changes["clean"])
    reg = await _corrected_registration(old, clean, now, conn)
    number = await _corrected_number(old, clean, conn)
    new = await issuer.issue(
        registration=reg,
        content=_corrected_content(old, reg, number, catalog),
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


async def _corrected_registration(
    old: Certificate, clean: Mapping[str, Any], now: datetime, conn: BaseDBAsyncClient
) -> Registration:
    """The certificate's registration with the corrected values, saved and still unique."""
    reg = await Registration.select_for_update().using_db(conn).get(id=old.registration_id)
    for column, value in clean.items():
        setattr(reg, column, value)
    reg.updated_at = now
    await reg.save(using_db=conn)
    # The corrected certificate must still be unique for its holder.
    await claim_keys(reg, conn)
    return reg


async def _corrected_number(
    old: Certificate, clean: Mapping[str, Any], conn: BaseDBAsyncClient
) -> str:
    """A correction keeps the certificate's number, unless the number itself is what is
    corrected (a paper number, before 2021: check_step refuses it for later titles)."""
    number = old.number
    if clean.get("certificate_number") and clean["certificate_number"] != old.number:
        number = clean["certificate_number"]
        await _renumber(old.lineage_id, number, conn)
    return number


async def _renumber(lineage_id: str, number: str, conn: BaseDBAsyncClient) -> None:
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


def _corrected_content(
    old: Certificate, reg: Registration, number: str, catalog: Catalog
) -> CertificateContent:
    """The new version's content: the corrected registration, the old version's otherwise."""
    return CertificateContent(
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
