"""登记证书信息: drafts filled step by step, the photo, submission, withdrawal, 我的证书.

A draft claims its identity keys (certificate number; approval document + level +
specialty) as soon as they are known, under a unique index per holder: a certificate that
already exists for the person cannot be registered twice, even by two identical
submissions at the same moment.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema import rules
from schema.access import holder_account, require_holder_of
from schema.actor import Actor
from schema.enums import AuditAction, RegistrationSource
from schema.errors import Conflict, InvalidInput, InvalidState, NotFound, Problem
from schema.models import Account, Registration, RegistrationKey, RegistrationStatus
from schema.photos import PhotoRejected, normalize_photo
from schema.pii import PiiProtector
from schema.qr_fit import qr_fit_problem
from schema.reference.catalog import Catalog
from schema.registration_form import (
    FIELD_COLUMNS,
    FormResult,
    Step,
    check_complete,
    check_step,
    missing_fields,
)
from schema.services.account_pii import account_birth_date
from schema.services.audit import write_audit
from schema.services.keys import get_by_key
from schema.services.paging import Page, keyset_page
from schema.storage import BlobStore

__all__ = [
    "EDITABLE",
    "StepOutcome",
    "attach_photo",
    "claim_keys",
    "complete_check",
    "create_registration",
    "get_own_registration",
    "identity_keys",
    "my_registrations",
    "save_step",
    "snapshot",
    "submit_registration",
    "withdraw_registration",
]

MY_REGISTRATIONS_CURSOR = "mr"

# States in which the holder may change the registration.
EDITABLE = frozenset(
    {RegistrationStatus.DRAFT, RegistrationStatus.RETURNED, RegistrationStatus.INCOMPLETE}
)
_STEP_ACTIONS: Mapping[Step, AuditAction] = MappingProxyType(
    {
        Step.TITLE: AuditAction.TITLE_STEP_SAVED,
        Step.DOCUMENT: AuditAction.DOCUMENT_STEP_SAVED,
        Step.SPECIALTY: AuditAction.SPECIALTY_STEP_SAVED,
    }
)


def _as_tuple(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


_COLUMNS = tuple(dict.fromkeys(c for cols in FIELD_COLUMNS.values() for c in _as_tuple(cols)))


@dataclass(frozen=True)
class StepOutcome:
    registration: Registration
    warnings: list[rules.RuleWarning]
    missing: list[str]


def snapshot(reg: Registration) -> dict[str, Any]:
    """The registration's fields as plain JSON values (audit before/after, history)."""
    out: dict[str, Any] = {"status": reg.status.value, "round": reg.round}
    for column in (*_COLUMNS, "photo_sha256", "return_reason_code", "return_note", "missing"):
        value = getattr(reg, column)
        out[column] = value.isoformat() if isinstance(value, date) else value
    return out


async def _audit(
    actor: Actor,
    action: AuditAction,
    reg: Registration,
    before: dict[str, Any] | None,
    *,
    now: datetime,
    conn: BaseDBAsyncClient,
    note: str | None = None,
) -> None:
    """The registration's audit row: its fields before and after, in the caller's transaction."""
    await write_audit(
        actor=actor,
        action=action,
        entity_type="registration",
        entity_id=reg.public_id,
        now=now,
        before=before,
        after=snapshot(reg),
        note=note,
        using_db=conn,
    )


def stored_values(reg: Registration) -> dict[str, Any]:
    return {column: getattr(reg, column) for column in _COLUMNS}


def identity_keys(values: Mapping[str, Any]) -> set[str]:
    """The keys that identify one certificate of one holder."""
    keys: set[str] = set()
    if values.get("certificate_number"):
        keys.add(f"N:{values['certificate_number']}")
    specialty = values.get("local_specialty") or values.get("specialty")
    if values.get("approval_document") and values.get("level") and specialty:
        keys.add(f"D:{values['approval_document']}|{values['level']}|{specialty}")
    return keys


def _registration_not_found() -> NotFound:
    return NotFound("登记记录不存在", code="REGISTRATION_NOT_FOUND", field="id")


async def _owned_for_update(
    actor: Actor, public_id: str, conn: BaseDBAsyncClient
) -> tuple[Account, Registration]:
    account = await holder_account(actor)
    # Someone else's record is "not found": its existence is not disclosed.
    reg = require_holder_of(
        account,
        await get_by_key(Registration.select_for_update().using_db(conn), public_id=public_id),
        missing=_registration_not_found(),
    )
    return account, reg


def _duplicate_error(existing: Registration) -> Conflict:
    if existing.status is RegistrationStatus.INCOMPLETE:
        violation_code = rules.ExistingRecord.PENDING_COMPLETION
    else:
        violation_code = rules.ExistingRecord.REGISTERED
    try:
        rules.check_existing_record(violation_code)
    except rules.RuleViolation as exc:
        # The record is named the way the person knows it; its id travels in ``ref``.
        facts = [existing.title_name or ""]
        if existing.obtained_on:
            d = existing.obtained_on
            facts.append(f"{d.year}年{d.month}月{d.day}日取得")
        facts.append(existing.status.label)
        known_as = "，".join(f for f in facts if f)
        return Conflict(
            f"{exc.message}（已有记录：{known_as}）",
            code=exc.code,
            field="certificateNumber" if existing.certificate_number else "approvalDocument",
            ref=existing.public_id,
        )
    raise AssertionError("check_existing_record accepted an existing record")


@asynccontextmanager
async def _duplicate_drafts_withdrawn(
    actor: Actor, registration_id: str, now: datetime
) -> AsyncIterator[None]:
    """A fresh draft refused as a duplicate of the holder's existing record is withdrawn.

    When two identical submissions race, or a person starts again a certificate already on
    record, the refused draft would stay in 我的证书 as an orphan 填写中 entry. If it was
    never submitted and everything it holds equals the existing record, it carries nothing
    of its own: it is withdrawn (audited) and the refusal says so. A draft that differs
    anywhere (perhaps a mistyped number) is kept for the person to correct.
    """
    try:
        yield
    except Conflict as refused:
        if refused.ref is None or not await _withdraw_if_duplicate(
            actor, registration_id, refused.ref, now
        ):
            raise
        raise Conflict(
            f"{refused.message}；本次重复填写的草稿已自动撤回",
            code=refused.code,
            field=refused.field,
            ref=refused.ref,
        ) from None


async def _withdraw_if_duplicate(
    actor: Actor, registration_id: str, existing_id: str, now: datetime
) -> bool:
    async with in_transaction() as conn:
        _, reg = await _owned_for_update(actor, registration_id, conn)
        existing = await Registration.filter(public_id=existing_id).using_db(conn).first()
        if reg.status is not RegistrationStatus.DRAFT or reg.round or existing is None:
            return False
        own = {k: v for k, v in stored_values(reg).items() if v not in (None, "", False)}
        theirs = stored_values(existing)
        if reg.photo_sha256 or any(theirs.get(k) != v for k, v in own.items()):
            return False
        before = snapshot(reg)
        reg.status = RegistrationStatus.WITHDRAWN
        reg.updated_at = now
        await reg.save(using_db=conn)
        await RegistrationKey.filter(registration_id=reg.id).using_db(conn).delete()
        await _audit(
            actor,
            AuditAction.REGISTRATION_WITHDRAWN,
            reg,
            before,
            now=now,
            conn=conn,
            note=f"duplicate of {existing.public_id}",
        )
    return True


async def claim_keys(reg: Registration, conn: BaseDBAsyncClient) -> None:
    """Re-claim the registration's identity keys after its values changed (a correction);
    raises the duplicate ``Conflict`` when another record holds one of them."""
    await _claim_keys(reg, conn)


async def _claim_keys(reg: Registration, conn: BaseDBAsyncClient) -> None:
    """Replace the registration's identity keys; a key held by another record refuses."""
    wanted = identity_keys(stored_values(reg))
    held = {
        k.key: k
        for k in await RegistrationKey.filter(registration_id=reg.id).using_db(conn)
        # A bulk-loaded record keeps the fingerprint of its file row (``R:``), so loading
        # the same file again finds it even after the holder completed it.
        if not k.key.startswith("R:")
    }
    for key, row in held.items():
        if key not in wanted:
            await row.delete(using_db=conn)
    for key in wanted - held.keys():
        try:
            # A savepoint, so a refused insert leaves the outer transaction usable.
            async with in_transaction() as savepoint:
                await RegistrationKey.create(
                    holder_id_hmac=reg.holder_id_hmac,
                    key=key,
                    registration_id=reg.id,
                    using_db=savepoint,
                )
        except IntegrityError:
            other = await (
                RegistrationKey.filter(holder_id_hmac=reg.holder_id_hmac, key=key)
                .using_db(conn)
                .prefetch_related("registration")
                .first()
            )
            if other is None:  # the other claim was rolled back meanwhile; try again
                raise Conflict(
                    "该证书正在被同时登记，请稍后重试", code="REGISTRATION_RACE"
                ) from None
            raise _duplicate_error(other.registration) from None


async def create_registration(*, actor: Actor, now: datetime) -> Registration:
    """Start a draft (填写中) for the logged-in applicant."""
    account = await holder_account(actor)
    async with in_transaction() as conn:
        reg = await Registration.create(
            public_id=secrets.token_hex(12),
            applicant=account,
            holder_id_hmac=account.id_number_hmac,
            holder_name=account.name,
            holder_id_masked=account.id_number_masked,
            status=RegistrationStatus.DRAFT,
            missing=[],
            warnings=[],
            created_at=now,
            updated_at=now,
            using_db=conn,
        )
        await _audit(actor, AuditAction.REGISTRATION_CREATED, reg, None, now=now, conn=conn)
    return reg


async def save_step(
    *,
    actor: Actor,
    registration_id: str,
    step: Step,
    submitted: Mapping[str, Any],
    catalog: Catalog,
    pii: PiiProtector,
    now: datetime,
) -> StepOutcome:
    """Validate and save one wizard step; nothing is saved when any field is refused.
    ``pii`` opens the holder's ID number for the birth date the date rules need."""
    async with _duplicate_drafts_withdrawn(actor, registration_id, now):
        return await _save_step(
            actor=actor,
            registration_id=registration_id,
            step=step,
            submitted=submitted,
            catalog=catalog,
            pii=pii,
            now=now,
        )


async def _save_step(
    *,
    actor: Actor,
    registration_id: str,
    step: Step,
    submitted: Mapping[str, Any],
    catalog: Catalog,
    pii: PiiProtector,
    now: datetime,
) -> StepOutcome:
    async with in_transaction() as conn:
        account, reg = await _owned_for_update(actor, registration_id, conn)
        if reg.status not in EDITABLE:
            raise InvalidState(
                "该登记已提交或已生成证书，不能修改", code="REGISTRATION_NOT_EDITABLE"
            )
        if reg.source == RegistrationSource.TITLE_SYSTEM:
            raise InvalidState(
                "该记录由职称系统生成，只需上传照片即可完善；信息有误的请在生成证书后申请更正",
                code="REGISTRATION_FROM_TITLE_SYSTEM",
            )
        before = snapshot(reg)
        result = check_step(
            step,
            submitted,
            stored_values(reg),
            catalog=catalog,
            today=now.date(),
            birth_date=account_birth_date(account, pii),
        )
        if result.problems:
            raise InvalidInput(result.problems)
        _require_qr_fit(reg, result.values, catalog, fields=tuple(submitted))
        for column, value in result.values.items():
            setattr(reg, column, value)
        reg.applicant_id = account.id
        reg.warnings = [w.to_dict() for w in result.warnings]
        reg.missing = _missing(reg, catalog)
        reg.updated_at = now
        await reg.save(using_db=conn)
        await _claim_keys(reg, conn)
        await _audit(actor, _STEP_ACTIONS[step], reg, before, now=now, conn=conn)
    return StepOutcome(reg, list(result.warnings), list(reg.missing))


def _require_qr_fit(
    reg: Registration, values: Mapping[str, Any], catalog: Catalog, *, fields: tuple[str, ...] = ()
) -> None:
    """Refuse, where the values are entered, a certificate too long for its QR code."""
    problem = qr_fit_problem(
        {**stored_values(reg), **values},
        holder_name=reg.holder_name,
        holder_id_masked=reg.holder_id_masked,
        catalog=catalog,
        fields=fields,
    )
    if problem is not None:
        raise InvalidInput([problem])


def complete_check(
    reg: Registration, *, catalog: Catalog, today: date, birth_date: date | None
) -> FormResult:
    """The whole-registration check. Records that came from the title system were checked
    when they were loaded (and a person may not register that source by hand), so for them
    only the photo is outstanding."""
    if reg.source == RegistrationSource.TITLE_SYSTEM:
        return FormResult(values={}, problems=[], warnings=[])
    return check_complete(stored_values(reg), catalog=catalog, today=today, birth_date=birth_date)


def _missing(reg: Registration, catalog: Catalog) -> list[str]:
    missing = missing_fields(stored_values(reg), catalog=catalog)
    if not reg.photo_sha256:
        missing.append("photo")
    return missing


async def attach_photo(
    *,
    actor: Actor,
    registration_id: str,
    data: bytes,
    store: BlobStore,
    catalog: Catalog,
    now: datetime,
) -> Registration:
    """Normalise the photo (JPEG/PNG, limits, re-encoded, metadata stripped) and attach it."""
    try:
        photo = await asyncio.to_thread(normalize_photo, data)
    except PhotoRejected as exc:
        raise InvalidInput([Problem(exc.code, exc.message, "photo")]) from None
    # Content-addressed: storing first is safe (an orphan blob is harmless, a missing one not).
    key = await store.put(photo.data)
    async with in_transaction() as conn:
        _, reg = await _owned_for_update(actor, registration_id, conn)
        if reg.status not in EDITABLE:
            raise InvalidState(
                "该登记已提交或已生成证书，不能修改", code="REGISTRATION_NOT_EDITABLE"
            )
        before = snapshot(reg)
        reg.photo_sha256 = key
        reg.missing = _missing(reg, catalog)
        reg.updated_at = now
        await reg.save(using_db=conn)
        await _audit(actor, AuditAction.PHOTO_UPLOADED, reg, before, now=now, conn=conn)
    return reg


async def submit_registration(
    *, actor: Actor, registration_id: str, catalog: Catalog, pii: PiiProtector, now: datetime
) -> Registration:
    """填写中/已退回/待完善 → 待审核, once every field and the photo pass together.
    ``pii`` opens the holder's ID number for the birth date the date rules need."""
    async with _duplicate_drafts_withdrawn(actor, registration_id, now):
        return await _submit(
            actor=actor, registration_id=registration_id, catalog=catalog, pii=pii, now=now
        )


async def _submit(
    *, actor: Actor, registration_id: str, catalog: Catalog, pii: PiiProtector, now: datetime
) -> Registration:
    async with in_transaction() as conn:
        account, reg = await _owned_for_update(actor, registration_id, conn)
        if reg.status not in EDITABLE:
            raise InvalidState("该登记已提交，请等待审核", code="REGISTRATION_NOT_EDITABLE")
        result = complete_check(
            reg, catalog=catalog, today=now.date(), birth_date=account_birth_date(account, pii)
        )
        problems = list(result.problems)
        if not reg.photo_sha256:
            problems.append(Problem("PHOTO_REQUIRED", "请上传个人照片", "photo"))
        if problems:
            raise InvalidInput(problems)
        _require_qr_fit(reg, result.values, catalog)
        before = snapshot(reg)
        for column, value in result.values.items():
            setattr(reg, column, value)
        # A title-system result only lacked its photo: the authority reviews the photo
        # (photo-review queue) and the certificate is then generated with no other step.
        reg.status = (
            RegistrationStatus.PHOTO_REVIEW
            if reg.source == RegistrationSource.TITLE_SYSTEM
            else RegistrationStatus.SUBMITTED
        )
        reg.incomplete_reason = None
        reg.round += 1
        reg.missing = []
        reg.warnings = [w.to_dict() for w in result.warnings]
        reg.submitted_at = now
        reg.updated_at = now
        await reg.save(using_db=conn)
        await _claim_keys(reg, conn)
        await _audit(actor, AuditAction.REGISTRATION_SUBMITTED, reg, before, now=now, conn=conn)
    return reg


async def withdraw_registration(
    *, actor: Actor, registration_id: str, now: datetime
) -> Registration:
    """Abandon a draft or returned registration; its identity keys are released."""
    async with in_transaction() as conn:
        _, reg = await _owned_for_update(actor, registration_id, conn)
        if reg.status not in (RegistrationStatus.DRAFT, RegistrationStatus.RETURNED):
            raise InvalidState(
                "只有填写中或已退回的登记可以撤回", code="REGISTRATION_NOT_WITHDRAWABLE"
            )
        before = snapshot(reg)
        reg.status = RegistrationStatus.WITHDRAWN
        reg.updated_at = now
        await reg.save(using_db=conn)
        await RegistrationKey.filter(registration_id=reg.id).using_db(conn).delete()
        await _audit(actor, AuditAction.REGISTRATION_WITHDRAWN, reg, before, now=now, conn=conn)
    return reg


async def my_registrations(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[Registration]:
    """我的证书: every registration of the holder, including records loaded in bulk, newest
    first (keyset pagination on the registration id)."""
    account = await holder_account(actor)
    query = Registration.filter(holder_id_hmac=account.id_number_hmac).exclude(
        status=RegistrationStatus.WITHDRAWN
    )
    return await keyset_page(
        query, kind=MY_REGISTRATIONS_CURSOR, first=first, after=after, newest_first=True
    )


async def get_own_registration(*, actor: Actor, registration_id: str) -> Registration:
    account = await holder_account(actor)
    reg = await get_by_key(Registration, public_id=registration_id)
    return require_holder_of(account, reg, missing=_registration_not_found())
