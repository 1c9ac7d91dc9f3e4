"""The reviewing authority's queue: list, open, approve (issue), return with a reason.

A reviewer sees only the work of the approving authority their account is bound to; an
admin sees every authority's. Approval is one transaction: re-check the whole
registration, draw a number where one is due, sign and store the certificate, mark the
registration approved, audit — or, on any failure, none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from schema.access import require_reviewer, require_reviewer_of
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import InvalidState, NotFound
from schema.models import Certificate, Registration, RegistrationStatus
from schema.reference.catalog import Catalog
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR
from schema.services.audit import AuditEntry, write_audit, write_audits
from schema.services.bulk_write import is_postgres
from schema.services.issuance import CertificateContent, Issuer, provenance_for
from schema.services.keys import get_by_key
from schema.services.numbering import allocate_system_number
from schema.services.paging import Page, encode_cursor, keyset_page
from schema.services.reasons import listed_reason
from schema.services.registrations import complete_check, snapshot

__all__ = [
    "QueueFilter",
    "QueuePage",
    "approve_registration",
    "open_registration",
    "queue_cursor",
    "return_registration",
    "review_queue",
    "specialty_text",
]


def _registration_not_found() -> NotFound:
    return NotFound("登记记录不存在或不属于本审批机关", code="REGISTRATION_NOT_FOUND", field="id")


@dataclass(frozen=True, kw_only=True)
class QueueFilter:
    status: RegistrationStatus | None = RegistrationStatus.SUBMITTED
    level: str | None = None
    series_code: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    authority_code: str | None = None  # admins only: narrow to one authority


QUEUE_CURSOR = "r"
QueuePage = Page[Registration]


def queue_cursor(reg: Registration) -> str:
    """The cursor just after ``reg`` in the queue (each edge of a connection has one)."""
    return encode_cursor(QUEUE_CURSOR, reg.id)


async def review_queue(
    *, actor: Actor, filters: QueueFilter, first: int = 20, after: str | None = None
) -> QueuePage:
    """Oldest first; keyset pagination on the registration id (stable under inserts)."""
    require_reviewer(actor)
    query = Registration.all()
    if actor.role is Role.REVIEWER:
        query = query.filter(authority_code=actor.authority_code)
    elif filters.authority_code:
        query = query.filter(authority_code=filters.authority_code)
    if filters.status is not None:
        query = query.filter(status=filters.status)
    else:
        query = query.exclude(status__in=[RegistrationStatus.DRAFT, RegistrationStatus.WITHDRAWN])
    if filters.level:
        query = query.filter(level=filters.level)
    if filters.series_code:
        query = query.filter(series_code=filters.series_code)
    if filters.submitted_from:
        start = datetime.combine(filters.submitted_from, time.min, tzinfo=UTC)
        query = query.filter(submitted_at__gte=start)
    if filters.submitted_to:
        end = datetime.combine(filters.submitted_to + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.filter(submitted_at__lt=end)
    return await keyset_page(query, kind=QUEUE_CURSOR, first=first, after=after)


async def open_registration(*, actor: Actor, registration_id: str) -> Registration:
    require_reviewer(actor)
    reg = await get_by_key(Registration, public_id=registration_id)
    return require_reviewer_of(actor, reg, missing=_registration_not_found())


async def _locked_for_decision(
    actor: Actor,
    registration_id: str,
    conn: BaseDBAsyncClient,
    status: RegistrationStatus = RegistrationStatus.SUBMITTED,
) -> Registration:
    require_reviewer(actor)
    reg = require_reviewer_of(
        actor,
        await get_by_key(
            Registration.select_for_update().using_db(conn), public_id=registration_id
        ),
        missing=_registration_not_found(),
    )
    if reg.status is not status:
        if status is RegistrationStatus.PHOTO_REVIEW:
            raise InvalidState("该记录不在照片待审核状态", code="REGISTRATION_NOT_IN_PHOTO_REVIEW")
        raise InvalidState("该登记不在待审核状态", code="REGISTRATION_NOT_SUBMITTED")
    return reg


def specialty_text(
    specialty: str | None, local_specialty: str | None, series_code: str | None, catalog: Catalog
) -> str:
    """What the certificate shows: the local specialty under 其他, else the list's name."""
    return local_specialty or catalog.specialty_name(series_code, specialty) or ""


# What approval changes on the registration (the update writes these, not all 40 columns).
_DECISION_FIELDS = ("status", "decided_at", "updated_at", "return_reason_code", "return_note")


async def approve_registration(
    *,
    actor: Actor,
    registration_id: str,
    issuer: Issuer,
    catalog: Catalog,
    now: datetime,
    status: RegistrationStatus = RegistrationStatus.SUBMITTED,
) -> Certificate:
    """Approve and issue: number (2021+), signed certificate, registration 已生成.
    ``status``: the queue the decision comes from (待审核, or 照片待审核 for the photo of a
    title-system result, whose data were checked when they were loaded)."""
    async with in_transaction() as conn:
        reg = await _locked_for_decision(actor, registration_id, conn, status)
        # The holder's birth date is not passed: submission checked these very values
        # with it (the holder's own ID number opened), and nothing can change them since.
        result = complete_check(reg, catalog=catalog, today=now.date(), birth_date=None)
        if result.problems or not reg.photo_sha256:
            raise InvalidState(
                "登记信息不完整或不符合规则，不能审核通过，请退回申请人修改",
                code="REGISTRATION_INCOMPLETE",
            )
        before = snapshot(reg)
        assert reg.obtained_on is not None and reg.level is not None
        assert reg.issued_on is not None  # a required field: complete_check passed
        if reg.obtained_on.year >= TITLE_SYSTEM_FROM_YEAR:
            number = await allocate_system_number(
                year=reg.obtained_on.year, level_code=reg.level, catalog=catalog, conn=conn
            )
        else:
            number = reg.certificate_number or ""
        content = CertificateContent(
            holder_name=reg.holder_name,
            holder_id_masked=reg.holder_id_masked,
            holder_id_hmac=reg.holder_id_hmac,
            holder_account_id=reg.applicant_id,
            number=number,
            level=reg.level,
            series_code=reg.series_code or "",
            title_name=reg.title_name or "",
            way_obtained=reg.way_obtained or "",
            specialty=specialty_text(reg.specialty, reg.local_specialty, reg.series_code, catalog),
            approval_document=reg.approval_document or "",
            obtained_on=reg.obtained_on,
            issued_on=reg.issued_on,
            authority_code=reg.authority_code or "",
            review_body=reg.review_body or "",
            validity_scope=reg.validity_scope or "",
            provenance=provenance_for(reg.source),
            photo_sha256=reg.photo_sha256,
        )
        cert = await issuer.issue(
            registration=reg, content=content, version=1, lineage_id=None, now=now, conn=conn
        )
        await _claim_number(number, cert.lineage_id, conn)
        reg.status = RegistrationStatus.APPROVED
        reg.decided_at = now
        reg.updated_at = now
        reg.return_reason_code = None
        reg.return_note = None
        await reg.save(using_db=conn, update_fields=_DECISION_FIELDS)
        await write_audits(
            [
                AuditEntry(
                    actor=actor,
                    action=AuditAction.REGISTRATION_APPROVED
                    if status is RegistrationStatus.SUBMITTED
                    else AuditAction.PHOTO_APPROVED,
                    entity_type="registration",
                    entity_id=reg.public_id,
                    now=now,
                    before=before,
                    after={**snapshot(reg), "certificate": cert.cert_id, "number": number},
                ),
                AuditEntry(
                    actor=actor,
                    action=AuditAction.CERTIFICATE_ISSUED,
                    entity_type="certificate",
                    entity_id=cert.cert_id,
                    now=now,
                    after={
                        "number": number,
                        "version": 1,
                        "kid": cert.kid,
                        "registration": reg.public_id,
                    },
                ),
            ],
            using_db=conn,
        )
    return cert


# One statement instead of a savepoint, an insert and its release (a unique violation
# would abort PostgreSQL's transaction, hence the savepoint before): a number already
# taken inserts nothing and returns no row.
_CLAIM_NUMBER_SQL = (
    'INSERT INTO "issued_number" ("number", "lineage_id") VALUES ({0}, {1}) '
    'ON CONFLICT DO NOTHING RETURNING "id"'
)


async def _claim_number(number: str, lineage_id: str, conn: BaseDBAsyncClient) -> None:
    marks = ("$1", "$2") if is_postgres(conn) else ("?", "?")
    claimed = await conn.execute_query_dict(_CLAIM_NUMBER_SQL.format(*marks), [number, lineage_id])
    if not claimed:
        raise InvalidState(
            f"证书编号{number}已被其他证书使用，请核对后退回申请人", code="CERTIFICATE_NUMBER_TAKEN"
        )


async def return_registration(
    *,
    actor: Actor,
    registration_id: str,
    reason_code: str,
    note: str | None,
    catalog: Catalog,
    now: datetime,
    status: RegistrationStatus = RegistrationStatus.SUBMITTED,
) -> Registration:
    """Return with a reason from the list (plus free text); the applicant edits and resubmits.
    A photo refused in the photo-review queue sends the record back to 待完善: the holder
    uploads another photo (notice Q1: 需重新上传电子照片并审核通过后，即可生成电子证书)."""
    reason, note = listed_reason(
        catalog.return_reason, reason_code, note, prefix="RETURN", label="退回原因"
    )
    async with in_transaction() as conn:
        reg = await _locked_for_decision(actor, registration_id, conn, status)
        before = snapshot(reg)
        if status is RegistrationStatus.PHOTO_REVIEW:
            reg.status = RegistrationStatus.INCOMPLETE
            reg.photo_sha256 = None
            reg.missing = ["photo"]
            reg.incomplete_reason = f"照片未通过审核（{reason.name}），请重新上传电子照片"
        else:
            reg.status = RegistrationStatus.RETURNED
        reg.return_reason_code = reason.code
        reg.return_note = note
        reg.decided_at = now
        reg.updated_at = now
        await reg.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.REGISTRATION_RETURNED
            if status is RegistrationStatus.SUBMITTED
            else AuditAction.PHOTO_RETURNED,
            entity_type="registration",
            entity_id=reg.public_id,
            now=now,
            before=before,
            after=snapshot(reg),
            note=note,
            using_db=conn,
        )
    return reg
