"""Issued certificates (immutable once signed), numbering, corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from schema.models.accounts import Account
    from schema.models.registrations import Registration


from schema.enums import CertificateStatus, CorrectionStatus, Provenance

__all__ = [
    "Certificate",
    "CertificateNumberSeq",
    "CertificateStatus",
    "CorrectionRequest",
    "CorrectionStatus",
    "IssuedNumber",
    "Provenance",
    "StatusList",
]


class Certificate(Model):
    """One version of an electronic certificate. Content fields never change after issue,
    only the status columns do (superseded, revoked, reinstated)."""

    id = fields.IntField(primary_key=True)
    cert_id = fields.CharField(max_length=32, unique=True)  # opaque, unguessable, in the QR
    lineage_id = fields.CharField(max_length=32, db_index=True)  # cert_id of version 1
    version = fields.IntField(default=1)
    registration: fields.ForeignKeyRelation[Registration] = fields.ForeignKeyField(
        "models.Registration", related_name="certificates", on_delete=fields.RESTRICT
    )
    registration_id: int
    holder: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="certificates", null=True, on_delete=fields.RESTRICT
    )
    holder_id: int | None
    holder_id_hmac = fields.CharField(max_length=64, db_index=True)
    holder_name = fields.CharField(max_length=50)
    holder_id_masked = fields.CharField(max_length=18)

    number = fields.CharField(max_length=32)
    level = fields.CharField(max_length=16)
    series_code = fields.CharField(max_length=8)
    title_name = fields.CharField(max_length=64)
    way_obtained = fields.CharField(max_length=8)
    specialty = fields.CharField(max_length=64)
    approval_document = fields.CharField(max_length=100)
    obtained_on = fields.DateField()
    issued_on = fields.DateField()
    authority_code = fields.CharField(max_length=32, db_index=True)
    review_body = fields.CharField(max_length=100)
    validity_scope = fields.CharField(max_length=16)
    provenance = fields.CharEnumField(Provenance, max_length=16)
    photo_sha256 = fields.CharField(max_length=64, null=True)

    # Signature (filled by issuance in the same transaction as the row itself).
    kid = fields.CharField(max_length=32, null=True)
    signed_at = fields.DatetimeField(null=True)
    signed_payload = fields.BinaryField(null=True)  # COSE_Sign1 bytes
    check_code = fields.CharField(max_length=16, null=True)
    verification_url = fields.CharField(max_length=1000, null=True)
    qr_png_sha256 = fields.CharField(max_length=64, null=True)  # rendered once, at issuance
    qr_svg_sha256 = fields.CharField(max_length=64, null=True)
    # Entry in the signed status list (claims format 2), drawn at random at issue. NULL for
    # versions issued before status lists (claims format 1).
    status_list_id = fields.IntField(null=True)
    status_index = fields.IntField(null=True)

    status = fields.CharEnumField(CertificateStatus, max_length=16, default=CertificateStatus.VALID)
    issued_at = fields.DatetimeField()
    superseded_by: fields.ForeignKeyNullableRelation[Certificate] = fields.ForeignKeyField(
        "models.Certificate", related_name="supersedes", null=True, on_delete=fields.RESTRICT
    )
    superseded_by_id: int | None
    superseded_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revocation_reason = fields.CharField(max_length=32, null=True)
    # Tortoise types TextField as str even when null=True.
    revocation_note: str | None = fields.TextField(null=True)  # private: never on the public page

    supersedes: fields.ReverseRelation[Certificate]
    corrections: fields.ReverseRelation[CorrectionRequest]
    created_by_correction: fields.ReverseRelation[CorrectionRequest]

    class Meta:
        table = "certificate"
        unique_together = (("lineage_id", "version"), ("status_list_id", "status_index"))


class StatusList(Model):
    """One published status list (``/status/{id}``), its entries drawn at random by issuance.
    ``assigned`` counts the entries given out, and the list is closed when all are."""

    id = fields.IntField(primary_key=True)
    assigned = fields.IntField(default=0)
    closed = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "status_list"


class CertificateNumberSeq(Model):
    """Counters for system certificate numbers, one row per (year, level digit)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=16, unique=True)
    last_value = fields.IntField(default=0)

    class Meta:
        table = "certificate_number_seq"


class IssuedNumber(Model):
    """Every certificate number in use, globally unique (paper and system numbers alike).
    Versions of one certificate share their number, so the row belongs to the lineage."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True)
    lineage_id = fields.CharField(max_length=32, unique=True)

    class Meta:
        table = "issued_number"


class CorrectionRequest(Model):
    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    certificate: fields.ForeignKeyRelation[Certificate] = fields.ForeignKeyField(
        "models.Certificate", related_name="corrections", on_delete=fields.RESTRICT
    )
    certificate_id: int
    applicant: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="corrections", on_delete=fields.RESTRICT
    )
    applicant_id: int
    authority_code = fields.CharField(max_length=32, db_index=True)
    reason = fields.TextField()
    changes: fields.JSONField[dict[str, Any]] = fields.JSONField()  # {"raw": …, "clean": …}
    status = fields.CharEnumField(CorrectionStatus, max_length=16)
    # Tortoise types TextField as str even when null=True.
    decision_note: str | None = fields.TextField(null=True)
    decided_by_id = fields.IntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    new_certificate: fields.ForeignKeyNullableRelation[Certificate] = fields.ForeignKeyField(
        "models.Certificate",
        related_name="created_by_correction",
        null=True,
        on_delete=fields.RESTRICT,
    )
    new_certificate_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "correction_request"
