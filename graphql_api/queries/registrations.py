"""The applicant's queries: 我的证书 (registrations), one registration, its history.
The certificates: ``queries.holder_certificates``; corrections: ``queries.corrections``."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from graphql_api.types.registration import AuditEntryType, RegistrationType
from schema.access import require_holder
from schema.enums import Role
from schema.services import history, registrations

__all__ = ["RegistrationQueries"]


@strawberry.type
class RegistrationQueries:
    @strawberry.field(
        description="我的证书: every registration of the logged-in applicant, newest first "
        "(cursor pagination), with its status, what is missing, the return reason and its "
        "certificates."
    )
    async def my_registrations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[RegistrationType]:
        actor = require_holder(require(info))
        page = await registrations.my_registrations(actor=actor, first=first, after=after)
        catalog = info.context.catalog
        return connection(page, lambda r: RegistrationType.from_model(r, catalog))

    @strawberry.field(description="One of the applicant's own registrations.")
    async def registration(self, info: Info, id: strawberry.ID) -> RegistrationType:
        actor = require_holder(require(info))
        reg = await registrations.get_own_registration(actor=actor, registration_id=str(id))
        return RegistrationType.from_model(reg, info.context.catalog)

    @strawberry.field(
        description="Every recorded change of a registration, oldest first: its holder, the "
        "reviewers of its authority and administrators."
    )
    async def registration_history(self, info: Info, id: strawberry.ID) -> list[AuditEntryType]:
        actor = require(info, Role.APPLICANT, Role.REVIEWER, Role.ADMIN)
        rows = await history.registration_history(actor=actor, registration_id=str(id))
        return [AuditEntryType.from_model(r) for r in rows]
