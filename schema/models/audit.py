"""The audit trail: one row per state change, written in the same transaction.

The rows form a hash chain (schema.audit_chain): each commits to the one before it by
``prev_hash``, in the gap-free order ``seq``. ``AuditChainHead`` holds the last link, and
every writer locks it, so appends never fork the chain or leave a gap.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from schema.enums import Role


class AuditRecord(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor_id = fields.IntField(null=True)
    actor_role = fields.CharEnumField(Role, max_length=16, null=True)
    # schema.enums.AuditAction, kept a plain string: rows written before an action was
    # renamed or retired stay readable.
    action = fields.CharField(max_length=64)
    entity_type = fields.CharField(max_length=32)
    entity_id = fields.CharField(max_length=64)
    before: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    # Tortoise types TextField as str even when null=True.
    note: str | None = fields.TextField(null=True)
    request_id = fields.CharField(max_length=64, null=True)
    # The chain (null only on a row written outside it, which `ecert audit verify` reports).
    seq = fields.BigIntField(null=True, unique=True)
    prev_hash = fields.CharField(max_length=64, null=True)
    hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_record"
        indexes = (("entity_type", "entity_id"),)


class AuditChainHead(Model):
    """The audit chain's last link (one row, id 1): the seq and hash of the newest record.

    Locked by every append (SELECT FOR UPDATE on PostgreSQL), so concurrent transactions
    chain one after the other. ``ecert audit verify`` compares it with the newest record.
    """

    id = fields.IntField(primary_key=True, generated=False)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_chain_head"
