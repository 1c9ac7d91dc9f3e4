"""Staff: TOTP enrolment (with the ticket the login hands out) and administration by admins.

``beginTotpEnrolment`` and ``confirmTotpEnrolment`` take the enrolment token a staff login
without TOTP answers with (``TotpEnrolmentRequired``); they need no session, and the token
can do nothing else. The administration mutations need an administrator's session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.account import AccountType
from schema.enums import Role
from schema.http_edge.deps import Deps
from schema.models import Account
from schema.services import staff
from schema.services.reference import authority_codes
from schema.totp import TotpSealer

__all__ = [
    "StaffAccountType",
    "StaffMutations",
    "TotpEnrolmentRequired",
    "totp_sealer",
]


def totp_sealer(deps: Deps) -> TotpSealer:
    """The sealer of TOTP secrets (the PII protector's keys, a distinct AAD)."""
    return TotpSealer(deps.pii)


@strawberry.type(
    description="The password was right, but this staff account has no TOTP yet: no session "
    "was opened. Call beginTotpEnrolment with enrolmentToken, add the secret to an "
    "authenticator app, confirm with confirmTotpEnrolment, then log in with totpCode."
)
class TotpEnrolmentRequired:
    enrolment_token: str = strawberry.field(
        description="One-time, short-lived; good only for the two enrolment mutations."
    )
    expires_at: datetime
    account: AccountType

    @classmethod
    def of(cls, required: staff.EnrolmentRequired) -> TotpEnrolmentRequired:
        return cls(
            enrolment_token=required.token,
            expires_at=required.expires_at,
            account=AccountType.from_model(required.account),
        )


@strawberry.type(name="StaffAccount", description="A staff account as administrators see it.")
class StaffAccountType:
    id: strawberry.ID
    name: str
    role: Role
    role_label: str
    authority_code: str | None
    active: bool
    totp_enrolled: bool
    totp_enabled_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, account: Account) -> StaffAccountType:
        return cls(
            id=strawberry.ID(account.public_id),
            name=account.name,
            role=account.role,
            role_label=account.role.label,
            authority_code=account.authority_code,
            active=account.is_active,
            totp_enrolled=account.totp_enabled_at is not None,
            totp_enabled_at=account.totp_enabled_at,
            last_login_at=account.last_login_at,
            created_at=account.created_at,
        )


@strawberry.input
class BeginTotpEnrolmentInput:
    enrolment_token: str


@strawberry.type
class BeginTotpEnrolmentSuccess:
    secret: str = strawberry.field(
        description="Base32 secret for manual entry in the authenticator app."
    )
    provisioning_uri: str = strawberry.field(description="otpauth://totp/… (the QR content).")
    qr_svg: str = strawberry.field(description="The provisioning URI as an SVG QR code.")
    expires_at: datetime = strawberry.field(description="Confirm before the token expires.")


@strawberry.input
class ConfirmTotpEnrolmentInput:
    enrolment_token: str
    code: str = strawberry.field(description="The 6-digit code the authenticator shows now.")


@strawberry.type
class ConfirmTotpEnrolmentSuccess:
    account: AccountType
    totp_enabled_at: datetime


@strawberry.input
class DeactivateStaffInput:
    account_id: strawberry.ID
    reason: str = strawberry.field(description="Why (kept in the audit log).")


@strawberry.input
class StaffAccountInput:
    account_id: strawberry.ID


@strawberry.input
class ChangeStaffAuthorityInput:
    account_id: strawberry.ID
    authority_code: str = strawberry.field(description="An approval authority's code.")


@strawberry.type
class StaffAccountSuccess:
    account: StaffAccountType
    sessions_revoked: int = strawberry.field(
        default=0, description="Sessions of that account closed by this change."
    )


BeginTotpEnrolmentPayload = Annotated[
    BeginTotpEnrolmentSuccess | UserErrors, strawberry.union("BeginTotpEnrolmentPayload")
]
ConfirmTotpEnrolmentPayload = Annotated[
    ConfirmTotpEnrolmentSuccess | UserErrors, strawberry.union("ConfirmTotpEnrolmentPayload")
]
DeactivateStaffPayload = Annotated[
    StaffAccountSuccess | UserErrors, strawberry.union("DeactivateStaffPayload")
]
ReactivateStaffPayload = Annotated[
    StaffAccountSuccess | UserErrors, strawberry.union("ReactivateStaffPayload")
]
ChangeStaffAuthorityPayload = Annotated[
    StaffAccountSuccess | UserErrors, strawberry.union("ChangeStaffAuthorityPayload")
]
ResetStaffTotpPayload = Annotated[
    StaffAccountSuccess | UserErrors, strawberry.union("ResetStaffTotpPayload")
]


@strawberry.type
class StaffMutations:
    @strawberry.mutation(
        description="Staff enrolment, step 1: a new TOTP secret for the account of the "
        "enrolment token (from a login answered with TotpEnrolmentRequired)."
    )
    async def begin_totp_enrolment(
        self, info: Info, input: BeginTotpEnrolmentInput
    ) -> BeginTotpEnrolmentPayload:
        ctx = info.context
        enrolment = await staff.begin_enrolment(
            token=input.enrolment_token, sealer=totp_sealer(ctx.deps), now=ctx.now
        )
        expires_at = enrolment.account.totp_enrolment_expires_at
        assert expires_at is not None  # the ticket was just checked to be unexpired
        return BeginTotpEnrolmentSuccess(
            secret=enrolment.secret,
            provisioning_uri=enrolment.provisioning_uri,
            qr_svg=enrolment.qr_svg,
            expires_at=expires_at,
        )

    @strawberry.mutation(
        description="Staff enrolment, step 2: confirm with the authenticator's code. Then log "
        "in with the password and the next code (totpCode)."
    )
    async def confirm_totp_enrolment(
        self, info: Info, input: ConfirmTotpEnrolmentInput
    ) -> ConfirmTotpEnrolmentPayload:
        ctx = info.context
        account = await staff.confirm_enrolment(
            token=input.enrolment_token,
            code=input.code,
            sealer=totp_sealer(ctx.deps),
            now=ctx.now,
        )
        assert account.totp_enabled_at is not None
        return ConfirmTotpEnrolmentSuccess(
            account=AccountType.from_model(account), totp_enabled_at=account.totp_enabled_at
        )

    @strawberry.mutation(
        description="Deactivate a staff (or employer) account and close its sessions. Admins "
        "only; never oneself or the last active admin."
    )
    async def deactivate_staff(
        self, info: Info, input: DeactivateStaffInput
    ) -> DeactivateStaffPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        account, revoked = await staff.deactivate_staff(
            actor=actor, account_id=str(input.account_id), reason=input.reason, now=info.context.now
        )
        return StaffAccountSuccess(
            account=StaffAccountType.from_model(account), sessions_revoked=revoked
        )

    @strawberry.mutation(
        description="Let a deactivated staff (or employer) account log in again. Admins only."
    )
    async def reactivate_staff(
        self, info: Info, input: StaffAccountInput
    ) -> ReactivateStaffPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        account = await staff.reactivate_staff(
            actor=actor, account_id=str(input.account_id), now=info.context.now
        )
        return StaffAccountSuccess(account=StaffAccountType.from_model(account))

    @strawberry.mutation(description="Bind a reviewer to another approval authority. Admins only.")
    async def change_staff_authority(
        self, info: Info, input: ChangeStaffAuthorityInput
    ) -> ChangeStaffAuthorityPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        account = await staff.change_staff_authority(
            actor=actor,
            account_id=str(input.account_id),
            authority_code=input.authority_code,
            known_authorities=await authority_codes(),
            now=info.context.now,
        )
        return StaffAccountSuccess(account=StaffAccountType.from_model(account))

    @strawberry.mutation(
        description="Forget a staff (or employer) account's TOTP (a lost phone): its sessions "
        "are closed and its next login enrols again. Admins only."
    )
    async def reset_staff_totp(self, info: Info, input: StaffAccountInput) -> ResetStaffTotpPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        account, revoked = await staff.reset_staff_totp(
            actor=actor, account_id=str(input.account_id), now=info.context.now
        )
        return StaffAccountSuccess(
            account=StaffAccountType.from_model(account), sessions_revoked=revoked
        )
