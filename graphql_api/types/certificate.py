"""Certificate output types: one signed version of an e-certificate, and correction requests.

Built explicitly from the models (``from_model``); names of coded fields come from the
catalog. The revocation *category* is shown, never the revocation note (private to the
authority, kept in the audit trail).
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graphql_api.types.enum_docs import coded_labels, labels
from schema.models import (
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    Provenance,
)
from schema.reference.catalog import Catalog, UnknownCodeError
from schema.registration_form import FIELD_LABELS

__all__ = [
    "CertificateStatusEnum",
    "CertificateType",
    "CorrectionRequestType",
]

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(
    CertificateStatus,
    name="CertificateStatus",
    description="VALID 有效 · SUPERSEDED 已更正 (a newer version replaced it) · REVOKED 已撤销.",
)
CertificateStatusEnum = CertificateStatus
strawberry.enum(
    CorrectionStatus,
    name="CorrectionStatus",
    description=coded_labels(CorrectionStatus),
)
CorrectionStatusEnum = CorrectionStatus
strawberry.enum(
    Provenance,
    name="Provenance",
    description="PAPER (registered from a paper certificate), OTHER_SYSTEM (another system "
    "or an offline procedure), NATIVE (the title system).",
)
ProvenanceEnum = Provenance


@strawberry.type(name="RevocationInfo", description="Why a certificate was revoked (category).")
class RevocationInfoType:
    code: str
    name: str


@strawberry.type(name="Certificate", description="One signed version of an e-certificate.")
class CertificateType:
    cert_id: strawberry.ID = strawberry.field(description="Opaque id, as in the QR code.")
    lineage_id: str = strawberry.field(description="certId of version 1 (all versions share it).")
    number: str = strawberry.field(
        description="证书编号: the paper number (0113…) or the 15-character system number."
    )
    version: int
    status: CertificateStatusEnum
    status_label: str = strawberry.field(description=labels(CertificateStatus))
    holder_name: str
    holder_id_masked: str
    level: str
    level_name: str | None
    series: str
    series_name: str | None
    title_name: str
    way_obtained: str
    way_obtained_name: str | None
    specialty: str = strawberry.field(description="评审专业 as printed (本地评审专业 under 其他).")
    approval_document: str
    obtained_on: date
    issued_on: date
    authority: str = strawberry.field(description="审批机关 code.")
    authority_name: str | None
    review_body: str
    validity_scope: str
    validity_scope_name: str | None
    provenance: ProvenanceEnum
    issued_at: datetime
    superseded_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: RevocationInfoType | None = strawberry.field(
        description="The category only (the notes stay with the authority)."
    )
    superseded_by_pk: strawberry.Private[int | None]

    @strawberry.field(description="certId of the version that replaced this one (已更正).")
    async def superseded_by(self, info: strawberry.Info) -> strawberry.ID | None:
        if self.superseded_by_pk is None:
            return None
        newer = await info.context.loaders.certificate.load(self.superseded_by_pk)
        return strawberry.ID(newer.cert_id) if newer else None

    @classmethod
    def from_model(cls, cert: Certificate, catalog: Catalog) -> CertificateType:
        revocation = None
        if cert.status is CertificateStatus.REVOKED and cert.revocation_reason:
            revocation = RevocationInfoType(
                code=cert.revocation_reason,
                name=catalog.name_of("revocation_reason", cert.revocation_reason) or "",
            )
        return cls(
            cert_id=strawberry.ID(cert.cert_id),
            lineage_id=cert.lineage_id,
            number=cert.number,
            version=cert.version,
            status=cert.status,
            status_label=cert.status.label,
            holder_name=cert.holder_name,
            holder_id_masked=cert.holder_id_masked,
            level=cert.level,
            level_name=catalog.name_of("level", cert.level),
            series=cert.series_code,
            series_name=catalog.name_of("series", cert.series_code),
            title_name=cert.title_name,
            way_obtained=cert.way_obtained,
            way_obtained_name=catalog.name_of("way_obtained", cert.way_obtained),
            specialty=cert.specialty,
            approval_document=cert.approval_document,
            obtained_on=cert.obtained_on,
            issued_on=cert.issued_on,
            authority=cert.authority_code,
            authority_name=catalog.name_of("authority", cert.authority_code),
            review_body=cert.review_body,
            validity_scope=cert.validity_scope,
            validity_scope_name=catalog.name_of("validity_scope", cert.validity_scope),
            provenance=cert.provenance,
            issued_at=cert.issued_at,
            superseded_at=cert.superseded_at,
            revoked_at=cert.revoked_at,
            revocation_reason=revocation,
            superseded_by_pk=cert.superseded_by_id,
        )


def _change_label(name: str, catalog: Catalog) -> str:
    try:
        return catalog.correction_field(name).name
    except UnknownCodeError:
        return FIELD_LABELS.get(name, name)


@strawberry.type(name="CorrectionChange", description="One field a correction changes.")
class CorrectionChangeType:
    field: str = strawberry.field(description="API field name (approvalDocument, …).")
    label: str = strawberry.field(description="Its Chinese label (批准文号, …).")
    value: str | None = strawberry.field(description="The value the holder asked for.")


@strawberry.type(name="CorrectionRequest", description="更正申请 of an issued certificate.")
class CorrectionRequestType:
    id: strawberry.ID
    status: CorrectionStatusEnum
    status_label: str = strawberry.field(description=labels(CorrectionStatus))
    reason: str = strawberry.field(description="The holder's reason (客观原因).")
    changes: list[CorrectionChangeType]
    decision_note: str | None = strawberry.field(
        description="The authority's note; the reason when rejected."
    )
    created_at: datetime
    decided_at: datetime | None
    certificate_pk: strawberry.Private[int]
    new_certificate_pk: strawberry.Private[int | None]
    catalog: strawberry.Private[Catalog]

    @strawberry.field(description="The certificate version the request is about.")
    async def certificate(self, info: strawberry.Info) -> CertificateType:
        cert = await info.context.loaders.certificate.load(self.certificate_pk)
        return CertificateType.from_model(cert, self.catalog)

    @strawberry.field(description="The new version an approved correction issued.")
    async def new_certificate(self, info: strawberry.Info) -> CertificateType | None:
        if self.new_certificate_pk is None:
            return None
        cert = await info.context.loaders.certificate.load(self.new_certificate_pk)
        return CertificateType.from_model(cert, self.catalog)

    @classmethod
    def from_model(cls, request: CorrectionRequest, catalog: Catalog) -> CorrectionRequestType:
        raw = request.changes.get("raw", {}) if isinstance(request.changes, dict) else {}
        return cls(
            id=strawberry.ID(request.public_id),
            status=request.status,
            status_label=request.status.label,
            reason=request.reason,
            changes=[
                CorrectionChangeType(
                    field=name,
                    label=_change_label(name, catalog),
                    value=None if value is None else str(value),
                )
                for name, value in raw.items()
            ],
            decision_note=request.decision_note,
            created_at=request.created_at,
            decided_at=request.decided_at,
            certificate_pk=request.certificate_id,
            new_certificate_pk=request.new_certificate_id,
            catalog=catalog,
        )
