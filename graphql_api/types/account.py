"""Account output types."""

from __future__ import annotations

import strawberry

from schema.enums import Role
from schema.models import Account

__all__ = ["AccountType", "RoleEnum"]

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(Role, name="Role")
RoleEnum = Role


@strawberry.type(name="Account", description="A real-name account. Shown to its owner.")
class AccountType:
    id: strawberry.ID
    name: str
    role: RoleEnum
    role_label: str
    id_number_masked: str = strawberry.field(description="First 4 and last 4 characters.")
    id_number: str | None = strawberry.field(
        description="The full ID number: only in the owner's own `me` answer."
    )
    mobile_masked: str
    authority_code: str | None

    @classmethod
    def from_model(cls, account: Account, *, full_id_number: str | None = None) -> AccountType:
        return cls(
            id=strawberry.ID(account.public_id),
            name=account.name,
            role=account.role,
            role_label=account.role.label,
            id_number_masked=account.id_number_masked,
            id_number=full_id_number,
            mobile_masked=account.mobile_masked,
            authority_code=account.authority_code,
        )
