"""Employer batch check queries: one batch with its progress, the account's own batches.
An employer account sees only its own batches; any other batch is "not found", any other
role is refused."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from graphql_api.types.verification_batches import VerificationBatchType
from schema.enums import Role
from schema.services import verification_batches

__all__ = ["VerificationBatchQueries"]


@strawberry.type
class VerificationBatchQueries:
    @strawberry.field(description="One of the employer's batch checks (poll it until DONE).")
    async def verification_batch(self, info: Info, id: strawberry.ID) -> VerificationBatchType:
        actor = require(info, Role.EMPLOYER)
        batch = await verification_batches.get_verification_batch(actor=actor, batch_id=str(id))
        return VerificationBatchType.from_model(batch)

    @strawberry.field(description="The employer account's batch checks, newest first.")
    async def verification_batches(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[VerificationBatchType]:
        actor = require(info, Role.EMPLOYER)
        page = await verification_batches.list_verification_batches(
            actor=actor, first=first, after=after
        )
        return connection(page, VerificationBatchType.from_model)
