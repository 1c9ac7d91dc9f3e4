"""The staff list for administrators (no ID numbers: name, role, authority, state, TOTP)."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.mutations.staff import StaffAccountType
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from schema.enums import Role
from schema.services import staff

__all__ = ["StaffQueries"]


@strawberry.type
class StaffQueries:
    @strawberry.field(
        description="Staff accounts (reviewers, signers, importers, admins) in creation "
        "order; every filter is optional (role EMPLOYER: the employer accounts instead). "
        "Admins only."
    )
    async def staff_accounts(
        self,
        info: Info,
        role: Role | None = None,
        authority_code: str | None = None,
        active: bool | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Connection[StaffAccountType]:
        actor = require(info, Role.ADMIN)
        page = await staff.list_staff(
            actor=actor,
            role=role,
            authority_code=authority_code,
            active=active,
            first=first,
            after=after,
        )
        return connection(page, StaffAccountType.from_model)
