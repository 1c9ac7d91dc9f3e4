"""Bulk loading (历史数据归集) by the title evaluation system and the authorities."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from schema.enums import Role
from schema.services.imports import import_title_system_results
from schema.services.reference import current_catalog

__all__ = ["ImportMutations"]


@strawberry.input(
    description="Title-system results since 2021: one object per person and certificate, "
    "with the registration's API field names (name, idNumber, level, series, titleName, "
    "wayObtained, approvalDocument, obtainedOn, issuedOn, authority, reviewBody, "
    "validityScope, specialty, localSpecialty). All rows or none are loaded."
)
class ImportTitleSystemResultsInput:
    records: list[JSON]


@strawberry.type
class ImportTitleSystemResultsSuccess:
    created: int
    registration_ids: list[str] = strawberry.field(
        description="The new records, marked 待完善 until the holder uploads a photo."
    )


ImportTitleSystemResultsPayload = Annotated[
    ImportTitleSystemResultsSuccess | UserErrors,
    strawberry.union("ImportTitleSystemResultsPayload"),
]


@strawberry.type
class ImportMutations:
    @strawberry.mutation(description="Load title-system results as 待完善 records (importers).")
    async def import_title_system_results(
        self, info: Info, input: ImportTitleSystemResultsInput
    ) -> ImportTitleSystemResultsPayload:
        actor = require_mutation_actor(info, Role.IMPORTER, Role.ADMIN)
        report = await import_title_system_results(
            actor=actor,
            pii=info.context.deps.pii,
            records=[r if isinstance(r, dict) else {} for r in input.records],
            catalog=await current_catalog(),
            now=info.context.now,
        )
        return ImportTitleSystemResultsSuccess(
            created=report.created, registration_ids=report.registration_ids
        )
