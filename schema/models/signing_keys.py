"""Signing keys as stored: public key, passphrase-encrypted private key, validity window,
and the jobs that re-issue what a revoked key signed."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from schema.models.documents import BatchStatus


class SigningKey(Model):
    id = fields.IntField(primary_key=True)
    kid = fields.CharField(max_length=32, unique=True)
    public_key = fields.BinaryField()  # 32 raw Ed25519 bytes
    encrypted_private_key = fields.BinaryField()  # encrypted PKCS#8 PEM; never in clear
    not_before = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    # Tortoise types TextField as str even when null=True.
    revocation_note: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "signing_key"


class KeyReissueJob(Model):
    """Re-issuing the current certificate versions a revoked key signed (a queued job).

    Run chunk by chunk under a lease on this row (``schema.services.key_reissue``)."""

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    kid = fields.CharField(max_length=32, db_index=True)  # the revoked key
    since = fields.DatetimeField()  # its revocation instant: versions signed from then on
    requested_by_id = fields.IntField(null=True)
    status = fields.CharEnumField(BatchStatus, max_length=16, default=BatchStatus.QUEUED)
    total = fields.IntField()  # current versions to re-issue when the job was queued
    done_count = fields.IntField(default=0)  # re-issued so far (kept across takeovers)
    error: str | None = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    lease_owner = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "key_reissue_job"


class TrustRootKey(Model):
    """The trust root that signs the key list (``/.well-known/ecert-keys.jwt``).

    Ed25519, its private key encrypted under the signing passphrase like a signing key's.
    One row: verifiers pin its public key, so it is created once and never rotated here."""

    id = fields.IntField(primary_key=True)
    kid = fields.CharField(max_length=32, unique=True)
    public_key = fields.BinaryField()  # 32 raw Ed25519 bytes
    encrypted_private_key = fields.BinaryField()  # encrypted PKCS#8 PEM; never in clear
    created_at = fields.DatetimeField()

    class Meta:
        table = "trust_root_key"
