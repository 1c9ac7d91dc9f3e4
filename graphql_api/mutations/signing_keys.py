"""Signing key management for the signing administrator: create, rotate, retire, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.queries.signing_keys import SigningKeyType, current_kid
from schema.enums import Role
from schema.errors import InvalidInput
from schema.models import SigningKey
from schema.services import key_reissue, signing_keys

__all__ = ["SigningKeyMutations"]


@strawberry.input
class RetireSigningKeyInput:
    kid: str


@strawberry.input
class RevokeSigningKeyInput:
    kid: str
    effective_at: datetime = strawberry.field(
        description="From when the key is not to be trusted (may be in the past: when the "
        "compromise began). Signatures made before it keep verifying."
    )
    note: str = strawberry.field(description="Why (kept in the audit log, not published).")
    reissue: bool = strawberry.field(
        default=False,
        description="Also queue the re-issue, under the key that signs now, of every current "
        "certificate version the key signed from effectiveAt on (another key must be able to "
        "sign: REISSUE_NO_SIGNING_KEY otherwise).",
    )


@strawberry.type
class SigningKeySuccess:
    key: SigningKeyType


CreateSigningKeyPayload = Annotated[
    SigningKeySuccess | UserErrors, strawberry.union("CreateSigningKeyPayload")
]
RotateSigningKeyPayload = Annotated[
    SigningKeySuccess | UserErrors, strawberry.union("RotateSigningKeyPayload")
]
RetireSigningKeyPayload = Annotated[
    SigningKeySuccess | UserErrors, strawberry.union("RetireSigningKeyPayload")
]
RevokeSigningKeyPayload = Annotated[
    SigningKeySuccess | UserErrors, strawberry.union("RevokeSigningKeyPayload")
]


async def _success(info: Info, row: SigningKey) -> SigningKeySuccess:
    now = info.context.now
    return SigningKeySuccess(
        key=SigningKeyType.of(row, now=now, current_kid=await current_kid(now))
    )


def _passphrase(info: Info) -> bytes:
    return info.context.deps.settings.signing_passphrase.reveal()


@strawberry.type
class SigningKeyMutations:
    @strawberry.mutation(
        description="Create a key that signs from now on (the newest open key signs). "
        "Signers and admins."
    )
    async def create_signing_key(self, info: Info) -> CreateSigningKeyPayload:
        actor = require_mutation_actor(info, Role.SIGNER, Role.ADMIN)
        row = await signing_keys.create_key(
            actor=actor, passphrase=_passphrase(info), now=info.context.now
        )
        return await _success(info, row)

    @strawberry.mutation(
        description="Routine rotation: create a new key and retire every other open key. "
        "Certificates signed by the retired keys keep verifying."
    )
    async def rotate_signing_key(self, info: Info) -> RotateSigningKeyPayload:
        actor = require_mutation_actor(info, Role.SIGNER, Role.ADMIN)
        row = await signing_keys.rotate_key(
            actor=actor, passphrase=_passphrase(info), now=info.context.now
        )
        return await _success(info, row)

    @strawberry.mutation(description="Stop signing with a key; what it signed stays valid.")
    async def retire_signing_key(
        self, info: Info, input: RetireSigningKeyInput
    ) -> RetireSigningKeyPayload:
        actor = require_mutation_actor(info, Role.SIGNER, Role.ADMIN)
        row = await signing_keys.retire_key(actor=actor, kid=input.kid, now=info.context.now)
        return await _success(info, row)

    @strawberry.mutation(
        description="Compromised key: signatures made at or after effectiveAt stop verifying "
        "everywhere the JWK Set is refreshed."
    )
    async def revoke_signing_key(
        self, info: Info, input: RevokeSigningKeyInput
    ) -> RevokeSigningKeyPayload:
        actor = require_mutation_actor(info, Role.SIGNER, Role.ADMIN)
        if input.effective_at.tzinfo is None:
            raise InvalidInput.one(
                "KEY_REVOCATION_TIMEZONE",
                "吊销生效时间须带时区，例如 2026-11-27T09:30:00+08:00",
                "effectiveAt",
            )
        row = await signing_keys.revoke_key(
            actor=actor,
            kid=input.kid,
            effective_at=input.effective_at,
            note=input.note,
            now=info.context.now,
            reissue=input.reissue,
        )
        if input.reissue:
            jobs = await key_reissue.list_reissue_jobs(actor=actor, kid=row.kid)
            await info.context.deps.jobs.enqueue_reissue(jobs[0].public_id)
        return await _success(info, row)
