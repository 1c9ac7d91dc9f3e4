"""Registration output types (登记证书信息, 我的证书) and audit history entries.

Built explicitly from the models (``from_model``). Coded fields are shown as stored (the
catalog's codes) next to their Chinese names; the status comes with the label a person sees
under 我的证书 and, for 已退回 and 待完善, what to do about it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graphql_api.types.account import RoleEnum
from graphql_api.types.certificate import CertificateType
from graphql_api.types.enum_docs import coded_labels
from schema.enums import AuditAction, Role
from schema.models import AuditRecord, Registration, RegistrationStatus
from schema.reference.catalog import Catalog, UnknownCodeError
from schema.registration_form import FIELD_LABELS

__all__ = [
    "AuditEntryType",
    "FieldWarningType",
    "MissingFieldType",
    "RegistrationStatusEnum",
    "RegistrationType",
    "field_label",
    "photo_path",
]

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(
    RegistrationStatus,
    name="RegistrationStatus",
    description=coded_labels(RegistrationStatus),
)
RegistrationStatusEnum = RegistrationStatus

# Labels of what a registration may miss besides the form's fields.
_EXTRA_LABELS = {"photo": "个人照片"}


def photo_path(registration_id: str) -> str:
    """Where a registration's photo is served (``graphql_api.collection_routes``)."""
    return f"/registrations/{registration_id}/photo.jpg"


def field_label(name: str) -> str:
    """The Chinese label of an API field (or of the photo)."""
    return FIELD_LABELS.get(name) or _EXTRA_LABELS.get(name) or name


@strawberry.type(name="FieldWarning", description="An accepted value the person should check.")
class FieldWarningType:
    code: str
    message: str
    field: str | None = strawberry.field(description="API field name (approvalDocument, …).")

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> FieldWarningType:
        return cls(code=str(item["code"]), message=str(item["message"]), field=item.get("field"))


@strawberry.type(name="MissingField", description="Something still to fill in (待完善).")
class MissingFieldType:
    field: str = strawberry.field(description="API field name, or `photo`.")
    label: str = strawberry.field(description="Its Chinese label (评审专业, 个人照片, …).")


@strawberry.type(name="ReturnReasonInfo", description="Why a registration was returned.")
class ReturnReasonInfoType:
    code: str
    name: str
    description: str
    field: str | None = strawberry.field(description="The API field it points at, if one.")


@strawberry.type(name="Registration", description="A certificate registration (我的证书).")
class RegistrationType:
    id: strawberry.ID
    status: RegistrationStatusEnum
    status_label: str = strawberry.field(
        description="填写中 / 待审核 / 已退回 / 待完善 / 照片待审核 / 已生成 / 已撤回."
    )
    status_detail: str | None = strawberry.field(
        description="已退回: the reason and note; 待完善: what is missing."
    )
    round: int = strawberry.field(description="How many times it has been submitted.")
    holder_name: str
    holder_id_masked: str
    source: str | None
    level: str | None
    level_name: str | None
    series: str | None
    series_name: str | None
    title_name: str | None
    way_obtained: str | None
    way_obtained_name: str | None
    batch: str | None
    batch_name: str | None
    employer_type: str | None
    approval_document: str | None = strawberry.field(description="Canonical 批准文号.")
    approval_document_as_typed: str | None
    obtained_on: date | None
    issued_on: date | None
    certificate_number: str | None
    other_number_format: bool = strawberry.field(
        description="证书为其他编号格式: the paper number does not start with 0113."
    )
    authority: str | None = strawberry.field(description="审批机关 code.")
    authority_name: str | None
    review_body: str | None
    validity_scope: str | None
    validity_scope_name: str | None
    specialty: str | None = strawberry.field(description="评审专业 code (…-999 = 其他).")
    specialty_name: str | None
    local_specialty: str | None
    has_photo: bool
    photo_url: str | None = strawberry.field(
        description="The photo (JPEG) on this service, for its holder and its reviewers "
        "(needs the login); null when there is none."
    )
    incomplete_reason: str | None = strawberry.field(
        description="待完善 records loaded in bulk: why, e.g. 电子证书生成失败，需重新上传电子照片."
    )
    return_reason: ReturnReasonInfoType | None
    return_note: str | None
    missing: list[MissingFieldType]
    warnings: list[FieldWarningType]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    pk: strawberry.Private[int]
    catalog: strawberry.Private[Catalog]

    @strawberry.field(description="Its certificate versions (once approved), oldest first.")
    async def certificates(self, info: strawberry.Info) -> list[CertificateType]:
        if self.status is not RegistrationStatus.APPROVED:
            return []
        rows = await info.context.loaders.certificates_of_registration.load(self.pk)
        return [CertificateType.from_model(c, self.catalog) for c in rows]

    @classmethod
    def from_model(cls, reg: Registration, catalog: Catalog) -> RegistrationType:
        missing = [MissingFieldType(field=n, label=field_label(n)) for n in reg.missing or []]
        reason = _return_reason(reg, catalog)
        return cls(
            id=strawberry.ID(reg.public_id),
            status=reg.status,
            status_label=reg.status.label,
            status_detail=_status_detail(reg, reason, missing),
            round=reg.round,
            holder_name=reg.holder_name,
            holder_id_masked=reg.holder_id_masked,
            source=reg.source,
            level=reg.level,
            level_name=catalog.name_of("level", reg.level),
            series=reg.series_code,
            series_name=catalog.name_of("series", reg.series_code),
            title_name=reg.title_name,
            way_obtained=reg.way_obtained,
            way_obtained_name=catalog.name_of("way_obtained", reg.way_obtained),
            batch=reg.batch_code,
            batch_name=catalog.name_of("batch", reg.batch_code),
            employer_type=reg.employer_type,
            approval_document=reg.approval_document,
            approval_document_as_typed=reg.approval_document_raw,
            obtained_on=reg.obtained_on,
            issued_on=reg.issued_on,
            certificate_number=reg.certificate_number,
            other_number_format=reg.other_number_format,
            authority=reg.authority_code,
            authority_name=catalog.name_of("authority", reg.authority_code),
            review_body=reg.review_body,
            validity_scope=reg.validity_scope,
            validity_scope_name=catalog.name_of("validity_scope", reg.validity_scope),
            specialty=reg.specialty,
            specialty_name=catalog.specialty_name(reg.series_code, reg.specialty),
            local_specialty=reg.local_specialty,
            has_photo=bool(reg.photo_sha256),
            photo_url=photo_path(reg.public_id) if reg.photo_sha256 else None,
            incomplete_reason=reg.incomplete_reason,
            return_reason=reason,
            return_note=reg.return_note,
            missing=missing,
            warnings=[FieldWarningType.from_dict(w) for w in reg.warnings or []],
            created_at=reg.created_at,
            updated_at=reg.updated_at,
            submitted_at=reg.submitted_at,
            decided_at=reg.decided_at,
            pk=reg.id,
            catalog=catalog,
        )


def _return_reason(reg: Registration, catalog: Catalog) -> ReturnReasonInfoType | None:
    if reg.status is not RegistrationStatus.RETURNED or not reg.return_reason_code:
        return None
    try:
        r = catalog.return_reason(reg.return_reason_code)
    except UnknownCodeError:
        return ReturnReasonInfoType(
            code=reg.return_reason_code, name=reg.return_reason_code, description="", field=None
        )
    return ReturnReasonInfoType(code=r.code, name=r.name, description=r.description, field=r.field)


def _status_detail(
    reg: Registration, reason: ReturnReasonInfoType | None, missing: list[MissingFieldType]
) -> str | None:
    if reg.status is RegistrationStatus.RETURNED:
        text = f"已退回：{reason.name}" if reason else "已退回"
        if reason and reason.description:
            text += f"（{reason.description}）"
        return f"{text}。审核意见：{reg.return_note}" if reg.return_note else text
    if reg.status is RegistrationStatus.INCOMPLETE:
        if not missing:
            return "待完善：请核对信息后提交审核"
        return "待完善：请完善" + "、".join(m.label for m in missing)
    return None


@strawberry.type(name="AuditEntry", description="One recorded change of a record.")
class AuditEntryType:
    at: datetime
    action: str = strawberry.field(description="registration.submitted, certificate.revoked, …")
    action_label: str
    actor_role: RoleEnum | None
    actor_role_label: str | None
    before: JSON | None
    after: JSON | None
    note: str | None

    @classmethod
    def from_model(cls, record: AuditRecord) -> AuditEntryType:
        role = Role(record.actor_role) if record.actor_role else None
        return cls(
            at=record.at,
            action=record.action,
            action_label=AuditAction.label_of(record.action),
            actor_role=role,
            actor_role_label=role.label if role else None,
            before=JSON(record.before) if record.before is not None else None,
            after=JSON(record.after) if record.after is not None else None,
            note=record.note,
        )
