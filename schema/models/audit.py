"""The audit trail: one row per state change, written in the same transaction."""

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

    class Meta:
        table = "audit_record"
        indexes = (("entity_type", "entity_id"),)
