"""Writing the audit trail (always inside the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from schema.actor import Actor
from schema.enums import AuditAction
from schema.models import AuditRecord

__all__ = ["write_audit"]


async def write_audit(
    *,
    actor: Actor | None,
    action: AuditAction,
    entity_type: str,
    entity_id: str | int,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
    request_id: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditRecord:
    return await AuditRecord.create(
        at=now,
        actor_id=actor.account_id if actor else None,
        actor_role=actor.role if actor else None,
        action=action.value,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        note=note,
        request_id=request_id,
        using_db=using_db,
    )
