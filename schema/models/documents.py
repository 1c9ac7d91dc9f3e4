"""The certificate as a document: the sealing credentials and the rendered files.

``DocumentCredential`` holds the small X.509 hierarchy that seals the PDF certificates
(PAdES): one root, one signing certificate per issuing authority and one for the local
timestamp authority. Private keys are stored only encrypted under the signing passphrase.

``CertificateFile`` records each rendered file of a certificate version (PDF, phone card,
QR label) by the blob store key of its bytes. A file is rendered once per version and per
status it is shown in: a valid version's PDF, and later, once superseded or revoked, its
watermarked PDF, each kept and served byte for byte.
"""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model

from schema.models.certificates import Certificate


class CredentialRole(enum.StrEnum):
    ROOT = "root"
    AUTHORITY = "authority"
    TIMESTAMP = "timestamp"


class DocumentKind(enum.StrEnum):
    PDF = "pdf"
    CARD = "card"
    QR_LABEL = "qr_label"


class DocumentCredential(Model):
    """One certificate of the document sealing hierarchy and its encrypted key."""

    id = fields.IntField(primary_key=True)
    role = fields.CharEnumField(CredentialRole, max_length=16)
    authority_code = fields.CharField(max_length=32, null=True, db_index=True)
    subject = fields.CharField(max_length=200)
    fingerprint_sha256 = fields.CharField(max_length=64, unique=True)
    certificate_pem = fields.TextField()
    encrypted_key_pem = fields.TextField()  # encrypted PKCS#8 PEM, never in clear
    not_before = fields.DatetimeField()
    not_after = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "document_credential"


class CertificateFile(Model):
    """A rendered file of one certificate version, as shown in one status."""

    id = fields.IntField(primary_key=True)
    certificate: fields.ForeignKeyRelation[Certificate] = fields.ForeignKeyField(
        "models.Certificate", related_name="files", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(DocumentKind, max_length=16)
    shown_status = fields.CharField(max_length=16)
    blob_sha256 = fields.CharField(max_length=64)
    byte_size = fields.IntField()
    rendered_at = fields.DatetimeField()

    class Meta:
        table = "certificate_file"
        unique_together = (("certificate", "kind", "shown_status"),)


class BatchStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DocumentBatch(Model):
    """An authority's batch of certificate PDFs rendered into one ZIP (a queued job)."""

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    authority_code = fields.CharField(max_length=32, db_index=True)
    requested_by_id = fields.IntField()
    cert_ids: fields.JSONField[list[str]] = fields.JSONField()
    status = fields.CharEnumField(BatchStatus, max_length=16, default=BatchStatus.QUEUED)
    total = fields.IntField()
    done_count = fields.IntField(default=0)
    result_sha256 = fields.CharField(max_length=64, null=True)
    result_size = fields.IntField(null=True)
    error: str | None = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    lease_owner = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "document_batch"
