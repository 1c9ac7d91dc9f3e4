"""Document batches: a reviewer queues many certificate PDFs as one ZIP.

The batch is checked and queued here (``document_batches.create_document_batch``); a
worker makes the ZIP, and the reviewer polls ``documentBatch`` until it is done, then
downloads ``downloadPath``.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.document_batches import DocumentBatchType
from schema.access import require_reviewer
from schema.services.document_batches import MAX_CERTIFICATES, create_document_batch

__all__ = ["DocumentBatchMutations"]


@strawberry.input(
    description="The certificates, by id and/or by number (a number: its newest version); "
    f"at most {MAX_CERTIFICATES}, all of one authority."
)
class StartDocumentBatchInput:
    cert_ids: list[str] | None = None
    numbers: list[str] | None = None


@strawberry.type
class StartDocumentBatchSuccess:
    batch: DocumentBatchType = strawberry.field(description="The queued batch; poll documentBatch.")


StartDocumentBatchPayload = Annotated[
    StartDocumentBatchSuccess | UserErrors, strawberry.union("StartDocumentBatchPayload")
]


@strawberry.type
class DocumentBatchMutations:
    @strawberry.mutation(
        description="Queue the certificates' sealed PDFs as one ZIP (reviewers of their "
        "authority, admins)."
    )
    async def start_document_batch(
        self, info: Info, input: StartDocumentBatchInput
    ) -> StartDocumentBatchPayload:
        actor = require_reviewer(require_mutation_actor(info))
        deps = info.context.deps
        batch = await create_document_batch(
            actor=actor, cert_ids=input.cert_ids, numbers=input.numbers, now=info.context.now
        )
        await deps.jobs.enqueue_batch(batch.public_id)
        return StartDocumentBatchSuccess(batch=DocumentBatchType.from_model(batch))
