"""Who is acting: the authenticated account as the domain core sees it."""

from __future__ import annotations

from dataclasses import dataclass

from schema.enums import Role

__all__ = ["SYSTEM", "Actor"]


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    public_id: str
    name: str
    role: Role
    authority_code: str | None = None
    session_id: int | None = None


# Command-line tools act as the system (the operator is recorded in the audit note).
SYSTEM = Actor(account_id=None, public_id="system", name="系统", role=Role.ADMIN)
