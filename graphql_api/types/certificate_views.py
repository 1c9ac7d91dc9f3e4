"""Output types of the public verification verdict and of the holder's QR material.

Separate from the holder's ``Certificate`` type on purpose: these carry only what the public
page shows (the signed claims with names for codes), never registration data or notes.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graphql_api.types.enum_docs import labels
from schema.enums import Provenance, VerificationState
from schema.services.holder_certificates import HolderQr
from schema.services.verification import PublicCertificate, VerificationOutcome

__all__ = [
    "CertificateVerificationType",
    "IssuedCertificateViewType",
    "PublicCertificateType",
    "VerificationStateEnum",
]

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(
    VerificationState,
    name="VerificationState",
    description="有效 VALID / 已更正 SUPERSEDED / 已撤销 REVOKED / 无法验证 UNVERIFIABLE.",
)
VerificationStateEnum = VerificationState


@strawberry.type(name="PublicCertificate", description="证书的公开信息：签名所担保的内容。")
class PublicCertificateType:
    cert_id: str
    version: int
    number: str
    holder_name: str
    holder_id_masked: str
    photo_path: str | None = strawberry.field(
        description="Path of the holder's photo on this service, e.g. /V/{certId}/photo."
    )
    title_name: str
    level_code: str
    level_name: str
    series_code: str
    series_name: str
    specialty: str
    authority_code: str
    authority_name: str
    review_body: str
    obtained_on: date
    issued_on: date
    provenance: str = strawberry.field(description="PAPER, OTHER_SYSTEM or NATIVE.")
    provenance_label: str = strawberry.field(description=labels(Provenance))
    kid: str = strawberry.field(description="Id of the signing key (see /.well-known/jwks.json).")
    signed_at: datetime
    check_code: str = strawberry.field(description="核验码 printed under the QR code.")

    @classmethod
    def of(cls, cert: PublicCertificate) -> PublicCertificateType:
        return cls(
            cert_id=cert.cert_id,
            version=cert.version,
            number=cert.number,
            holder_name=cert.holder_name,
            holder_id_masked=cert.holder_id_masked,
            photo_path=f"/V/{cert.cert_id}/photo" if cert.has_photo else None,
            title_name=cert.title_name,
            level_code=cert.level_code,
            level_name=cert.level_name,
            series_code=cert.series_code,
            series_name=cert.series_name,
            specialty=cert.specialty,
            authority_code=cert.authority_code,
            authority_name=cert.authority_name,
            review_body=cert.review_body,
            obtained_on=cert.obtained_on,
            issued_on=cert.issued_on,
            provenance=cert.provenance,
            provenance_label=cert.provenance_label,
            kid=cert.kid,
            signed_at=cert.signed_at,
            check_code=cert.check_code,
        )


@strawberry.type(name="CertificateVersionLink")
class CertificateVersionLinkType:
    cert_id: str
    version: int
    verification_url: str = strawberry.field(description="The official verification URL.")
    path: str = strawberry.field(description="Its path: /V/{CERT_ID}/{PAYLOAD}.")


@strawberry.type(
    name="CertificateVerification",
    description="One verdict, as on the public verification page. `certificate` is null "
    "when the state is UNVERIFIABLE or KEY_REVOKED.",
)
class CertificateVerificationType:
    state: VerificationStateEnum
    state_label: str
    signature_verified: bool
    checked_at: datetime
    certificate: PublicCertificateType | None
    superseded_at: datetime | None
    current_version: CertificateVersionLinkType | None = strawberry.field(
        description="已更正, or KEY_REVOKED: the version that replaced this one (for "
        "KEY_REVOKED its re-issue under the current key, null while it is pending)."
    )
    revoked_at: datetime | None
    revocation_reason_code: str | None
    revocation_reason_name: str | None = strawberry.field(
        description="已撤销: the public reason category (never the authority's notes)."
    )

    @classmethod
    def of(cls, outcome: VerificationOutcome) -> CertificateVerificationType:
        current = outcome.current_version
        return cls(
            state=outcome.state,
            state_label=outcome.state.label,
            signature_verified=outcome.signature_verified,
            checked_at=outcome.checked_at,
            certificate=PublicCertificateType.of(outcome.certificate)
            if outcome.certificate
            else None,
            superseded_at=outcome.superseded_at,
            current_version=None
            if current is None
            else CertificateVersionLinkType(
                cert_id=current.cert_id,
                version=current.version,
                verification_url=current.verification_url,
                path=current.path,
            ),
            revoked_at=outcome.revoked_at,
            revocation_reason_code=outcome.revocation_reason_code,
            revocation_reason_name=outcome.revocation_reason_name,
        )


@strawberry.type(
    name="IssuedCertificateView",
    description="The holder's own verification material: URL, check code and the QR images "
    "exactly as rendered at issuance.",
)
class IssuedCertificateViewType:
    cert_id: str
    version: int
    status: str = strawberry.field(description="VALID, SUPERSEDED or REVOKED.")
    status_label: str
    verification_url: str
    check_code: str
    qr_svg: str = strawberry.field(description="The QR code as an SVG document.")
    qr_png_base64: str = strawberry.field(description="The QR code as a PNG, base64.")
    qr_png_path: str = strawberry.field(description="Same PNG over HTTP (needs the login).")
    qr_svg_path: str
    pdf_path: str = strawberry.field(
        description="The certificate as a sealed A4 PDF (PAdES) over HTTP (needs the login); "
        "a superseded or revoked version is watermarked 已更正 / 已撤销."
    )
    card_path: str = strawberry.field(
        description="The certificate as a PNG card for phones (needs the login)."
    )
    qr_label_path: str = strawberry.field(
        description="The QR code with its check code printed under it, PNG (needs the login)."
    )
    credential_path: str = strawberry.field(
        description="This version as a W3C Verifiable Credential 2.0 (JSON, eddsa-jcs-2022 "
        "proof by the issuer's did:web, see /.well-known/did.json) over HTTP (needs the login)."
    )

    @classmethod
    def of(cls, qr: HolderQr) -> IssuedCertificateViewType:
        return cls(
            cert_id=qr.cert_id,
            version=qr.version,
            status=qr.status.value,
            status_label=qr.status.label,
            verification_url=qr.verification_url,
            check_code=qr.check_code,
            qr_svg=qr.qr_svg_text,
            qr_png_base64=qr.qr_png_base64,
            qr_png_path=f"/certificates/{qr.cert_id}/qr.png",
            qr_svg_path=f"/certificates/{qr.cert_id}/qr.svg",
            pdf_path=f"/certificates/{qr.cert_id}/certificate.pdf",
            card_path=f"/certificates/{qr.cert_id}/card.png",
            qr_label_path=f"/certificates/{qr.cert_id}/qr-label.png",
            credential_path=f"/certificates/{qr.cert_id}/credential.json",
        )
