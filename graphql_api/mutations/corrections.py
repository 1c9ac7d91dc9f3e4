"""更正 of an issued certificate: the holder asks (``requestCorrection``), a reviewer of the
certificate's authority decides (``decideCorrection``). Mirrors ``schema.services.corrections``.

Two classes, one per audience, because the root lists the holder's mutation with the other
applicant mutations and the decision with the other review mutations (``graphql_api.root``).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.certificate import CorrectionRequestType
from schema.access import require_holder, require_reviewer
from schema.errors import InvalidInput, Problem
from schema.services import corrections

__all__ = ["CorrectionDecisionMutations", "CorrectionRequestMutations"]


@strawberry.input(description="A field to correct and its new value.")
class CorrectionChangeInput:
    field: str = strawberry.field(description="API field name (see reference.correctionFields).")
    value: str | None


@strawberry.input(description="更正申请 of an issued certificate (notice Q9).")
class RequestCorrectionInput:
    cert_id: strawberry.ID
    reason: str = strawberry.field(description="The objective reason (at least 5 characters).")
    changes: list[CorrectionChangeInput]


@strawberry.input
class DecideCorrectionInput:
    id: strawberry.ID
    approve: bool
    note: str | None = strawberry.field(default=None, description="Required when rejecting.")


@strawberry.type
class RequestCorrectionSuccess:
    correction_request: CorrectionRequestType


@strawberry.type
class DecideCorrectionSuccess:
    correction_request: CorrectionRequestType


RequestCorrectionPayload = Annotated[
    RequestCorrectionSuccess | UserErrors, strawberry.union("RequestCorrectionPayload")
]
DecideCorrectionPayload = Annotated[
    DecideCorrectionSuccess | UserErrors, strawberry.union("DecideCorrectionPayload")
]


def _changes(items: list[CorrectionChangeInput]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for item in items:
        if item.field in changes:
            raise InvalidInput(
                [Problem("CORRECTION_FIELD_REPEATED", f"更正项目“{item.field}”重复", "changes")]
            )
        changes[item.field] = item.value
    return changes


@strawberry.type
class CorrectionRequestMutations:
    @strawberry.mutation(
        description="Ask the authority to correct an issued certificate (a new version follows)."
    )
    async def request_correction(
        self, info: Info, input: RequestCorrectionInput
    ) -> RequestCorrectionPayload:
        actor = require_holder(require_mutation_actor(info))
        catalog = info.context.catalog
        request = await corrections.request_correction(
            actor=actor,
            cert_id=str(input.cert_id),
            reason=input.reason,
            changes=_changes(input.changes),
            catalog=catalog,
            pii=info.context.deps.pii,
            now=info.context.now,
        )
        return RequestCorrectionSuccess(
            correction_request=CorrectionRequestType.from_model(request, catalog)
        )


@strawberry.type
class CorrectionDecisionMutations:
    @strawberry.mutation(
        description="Approve (new version) or reject (with a reason) a correction."
    )
    async def decide_correction(
        self, info: Info, input: DecideCorrectionInput
    ) -> DecideCorrectionPayload:
        actor = require_reviewer(require_mutation_actor(info))
        catalog = info.context.catalog
        request = await corrections.decide_correction(
            actor=actor,
            correction_id=str(input.id),
            approve=input.approve,
            note=input.note,
            issuer=info.context.deps.issuer,
            catalog=catalog,
            now=info.context.now,
        )
        return DecideCorrectionSuccess(
            correction_request=CorrectionRequestType.from_model(request, catalog)
        )
