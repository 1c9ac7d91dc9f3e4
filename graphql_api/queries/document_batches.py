"""Document batch queries: one batch with its progress, the authority's batches. A
reviewer sees its own authority's batches; an admin every one; any other is "not found"."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from graphql_api.types.document_batches import DocumentBatchType
from schema.access import require_reviewer
from schema.services import document_batches

__all__ = ["DocumentBatchQueries"]


@strawberry.type
class DocumentBatchQueries:
    @strawberry.field(description="One document batch with its progress (poll it until DONE).")
    async def document_batch(self, info: Info, id: strawberry.ID) -> DocumentBatchType:
        actor = require_reviewer(require(info))
        batch = await document_batches.get_document_batch(actor=actor, batch_id=str(id))
        return DocumentBatchType.from_model(batch)

    @strawberry.field(
        description="The authority's document batches (an admin: every one), newest first."
    )
    async def document_batches(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[DocumentBatchType]:
        actor = require_reviewer(require(info))
        page = await document_batches.list_document_batches(actor=actor, first=first, after=after)
        return connection(page, DocumentBatchType.from_model)
