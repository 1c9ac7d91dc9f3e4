"""Signing keys for the signing administrator (签章管理员): list with windows and state."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crypto import KeyRing, NoActiveKeyError
from graphql_api.context import Info
from graphql_api.permissions import require
from schema.enums import Role, SigningKeyState
from schema.models import SigningKey
from schema.services import signing_keys

__all__ = ["SigningKeyQueries", "SigningKeyStateEnum", "SigningKeyType"]


strawberry.enum(SigningKeyState, name="SigningKeyState")
SigningKeyStateEnum = SigningKeyState


def _state(row: SigningKey, now: datetime) -> SigningKeyState:
    if row.revoked_at is not None and row.revoked_at <= now:
        return SigningKeyState.REVOKED
    if row.retired_at is not None and row.retired_at <= now:
        return SigningKeyState.RETIRED
    if row.not_before > now:
        return SigningKeyState.PENDING
    return SigningKeyState.ACTIVE


@strawberry.type(
    name="SigningKey",
    description="An Ed25519 signing key and its window. The private key never leaves the "
    "server, not even encrypted.",
)
class SigningKeyType:
    kid: str
    not_before: datetime
    retired_at: datetime | None
    revoked_at: datetime | None
    revocation_note: str | None
    created_at: datetime
    state: SigningKeyStateEnum
    state_label: str
    signs_now: bool = strawberry.field(
        description="The key new certificates are signed with at this moment."
    )

    @classmethod
    def of(cls, row: SigningKey, *, now: datetime, current_kid: str | None) -> SigningKeyType:
        state = _state(row, now)
        return cls(
            kid=row.kid,
            not_before=row.not_before,
            retired_at=row.retired_at,
            revoked_at=row.revoked_at,
            revocation_note=row.revocation_note,
            created_at=row.created_at,
            state=state,
            state_label=state.label,
            signs_now=row.kid == current_kid,
        )


async def current_kid(now: datetime) -> str | None:
    """The kid issuance would sign with now (the same choice the Signer makes)."""
    try:
        return KeyRing(await signing_keys.key_records()).signing_key(now).kid
    except NoActiveKeyError:
        return None


@strawberry.type
class SigningKeyQueries:
    @strawberry.field(description="Every signing key, oldest first. Signers and admins only.")
    async def signing_keys(self, info: Info) -> list[SigningKeyType]:
        actor = require(info, Role.SIGNER, Role.ADMIN)
        now = info.context.now
        rows = await signing_keys.list_keys(actor=actor)
        kid = await current_kid(now)
        return [SigningKeyType.of(row, now=now, current_kid=kid) for row in rows]
