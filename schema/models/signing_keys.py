"""Signing keys as stored: public key, passphrase-encrypted private key, validity window."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
