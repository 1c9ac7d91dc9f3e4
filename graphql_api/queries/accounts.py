"""Account queries."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.types.account import AccountType
from schema.services import accounts

__all__ = ["AccountQueries"]


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The logged-in account (with the full ID number), or null.")
    async def me(self, info: Info) -> AccountType | None:
        actor = info.context.actor
        if actor is None:
            return None
        account, id_number = await accounts.own_account(actor=actor, pii=info.context.deps.pii)
        return AccountType.from_model(account, full_id_number=id_number)
