"""Admin maintenance of reference data (approving authorities, specialties, batches, reasons)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.reference import ReferenceType
from schema.enums import Role
from schema.errors import InvalidInput
from schema.services.reference import add_reference_entry

__all__ = ["ReferenceMutations"]


@strawberry.input(description="One reference data entry to add (admins only).")
class AddReferenceEntryInput:
    kind: str = strawberry.field(
        description="authorities, specialties, batches, return_reasons or revocation_reasons."
    )
    entry: JSON = strawberry.field(
        description="The entry, shaped like the entries of schema/reference/data/<kind>.json."
    )


@strawberry.type
class AddReferenceEntrySuccess:
    kind: str
    code: str
    entry: JSON

    @strawberry.field(description="The reference data, now with the entry.")
    async def reference(self, info: Info) -> ReferenceType:
        return ReferenceType.of(info.context.catalog)


AddReferenceEntryPayload = Annotated[
    AddReferenceEntrySuccess | UserErrors, strawberry.union("AddReferenceEntryPayload")
]


def _entry_object(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise InvalidInput.one("REFERENCE_INVALID", "基础数据条目必须是JSON对象", "entry")
    return entry


@strawberry.type
class ReferenceMutations:
    @strawberry.mutation(
        description="Add a reference data entry (e.g. an approving authority); the whole "
        "catalog must still check with it. System administrators only."
    )
    async def add_reference_entry(
        self, info: Info, input: AddReferenceEntryInput
    ) -> AddReferenceEntryPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        row = await add_reference_entry(
            actor=actor, kind=input.kind, entry=_entry_object(input.entry), now=info.context.now
        )
        # The rest of this operation (and this payload's reference field) sees the entry.
        await info.context.reload_catalog()
        return AddReferenceEntrySuccess(kind=row.kind, code=row.code, entry=JSON(row.data))
