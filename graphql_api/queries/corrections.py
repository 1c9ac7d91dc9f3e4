"""Correction requests: the holder's own with their decision, and the pending ones of a
reviewer's authority. Mirrors ``schema.services.corrections``.

Two classes, one per audience, because the root lists the holder's query with the other
applicant queries and the queue with the other review queries (``graphql_api.root``).
"""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.certificate import CorrectionRequestType
from graphql_api.types.connection import Connection, connection
from schema.access import require_holder, require_reviewer
from schema.services import corrections

__all__ = ["CorrectionQueueQueries", "HolderCorrectionQueries"]


@strawberry.type
class HolderCorrectionQueries:
    @strawberry.field(
        description="The applicant's correction requests, newest first (cursor pagination), "
        "with the decision."
    )
    async def my_correction_requests(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CorrectionRequestType]:
        actor = require_holder(require(info))
        page = await corrections.my_correction_requests(actor=actor, first=first, after=after)
        catalog = info.context.catalog
        return connection(page, lambda r: CorrectionRequestType.from_model(r, catalog))


@strawberry.type
class CorrectionQueueQueries:
    @strawberry.field(
        description="Pending correction requests of the reviewer's authority, oldest first "
        "(cursor pagination)."
    )
    async def correction_requests(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CorrectionRequestType]:
        actor = require_reviewer(require(info))
        page = await corrections.pending_corrections(actor=actor, first=first, after=after)
        catalog = info.context.catalog
        return connection(page, lambda r: CorrectionRequestType.from_model(r, catalog))
