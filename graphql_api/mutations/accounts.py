"""Account mutations: register, log in, log out, change password."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.mutations.staff import TotpEnrolmentRequired, totp_sealer
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.account import AccountType
from schema.http_edge.auth import COOKIE_NAME
from schema.services import accounts, sessions

__all__ = ["AccountMutations"]


@strawberry.input(description="实名制注册: name, 18-digit resident ID number, mobile, password.")
class RegisterAccountInput:
    name: str
    id_number: str
    mobile: str
    password: str


@strawberry.type
class RegisterAccountSuccess:
    account: AccountType


@strawberry.input
class LoginInput:
    id_number: str
    password: str
    totp_code: str | None = strawberry.field(
        default=None,
        description="Staff: the 6-digit code of their authenticator app (required).",
    )
    set_cookie: bool = strawberry.field(
        default=False,
        description="Browsers: also set an HttpOnly session cookie; send csrfToken back "
        "in the X-CSRF-Token header with every mutation.",
    )


@strawberry.type
class LoginSuccess:
    token: str = strawberry.field(description="Opaque bearer token: `Authorization: Bearer …`.")
    csrf_token: str
    expires_at: datetime
    account: AccountType


@strawberry.input
class LogoutInput:
    reason: str | None = None


@strawberry.type
class LogoutSuccess:
    ok: bool


@strawberry.input
class ChangePasswordInput:
    old_password: str
    new_password: str


@strawberry.type
class ChangePasswordSuccess:
    sessions_revoked: int = strawberry.field(
        description="Every session, this one included, is revoked: log in again."
    )


RegisterAccountPayload = Annotated[
    RegisterAccountSuccess | UserErrors, strawberry.union("RegisterAccountPayload")
]
LoginPayload = Annotated[
    LoginSuccess | TotpEnrolmentRequired | UserErrors, strawberry.union("LoginPayload")
]
LogoutPayload = Annotated[LogoutSuccess | UserErrors, strawberry.union("LogoutPayload")]
ChangePasswordPayload = Annotated[
    ChangePasswordSuccess | UserErrors, strawberry.union("ChangePasswordPayload")
]


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Register an applicant account under a real name.")
    async def register_account(
        self, info: Info, input: RegisterAccountInput
    ) -> RegisterAccountPayload:
        ctx = info.context
        created = await accounts.register_account(
            pii=ctx.deps.pii,
            name=input.name,
            id_number=input.id_number,
            mobile=input.mobile,
            password=input.password,
            now=ctx.now,
        )
        return RegisterAccountSuccess(
            account=AccountType.from_model(created.account, full_id_number=created.id_number)
        )

    @strawberry.mutation(
        description="Log in with ID number and password (staff: and totpCode)."
    )
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        ctx = info.context
        issued = await sessions.login(
            pii=ctx.deps.pii,
            id_number=input.id_number,
            password=input.password,
            client_ip=ctx.client_ip,
            user_agent=ctx.request.headers.get("user-agent"),
            ttl=ctx.deps.session_ttl,
            now=ctx.now,
            totp_code=input.totp_code,
            totp=totp_sealer(ctx.deps.settings),
        )
        if not isinstance(issued, sessions.IssuedSession):
            return TotpEnrolmentRequired.of(issued)
        if input.set_cookie:
            ctx.response.set_cookie(
                COOKIE_NAME,
                issued.token,
                max_age=int(ctx.deps.session_ttl.total_seconds()),
                httponly=True,
                secure=ctx.deps.settings.cookie_secure,
                samesite="strict",
                path="/",
            )
        return LoginSuccess(
            token=issued.token,
            csrf_token=issued.csrf_token,
            expires_at=issued.expires_at,
            account=AccountType.from_model(issued.account),
        )

    @strawberry.mutation(description="End the current session.")
    async def logout(self, info: Info, input: LogoutInput | None = None) -> LogoutPayload:
        actor = require_mutation_actor(info)
        await sessions.logout(actor=actor, now=info.context.now)
        info.context.response.delete_cookie(COOKIE_NAME, path="/")
        return LogoutSuccess(ok=True)

    @strawberry.mutation(description="Change the password; every session is revoked.")
    async def change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        actor = require_mutation_actor(info)
        revoked = await accounts.change_password(
            actor=actor,
            pii=info.context.deps.pii,
            old_password=input.old_password,
            new_password=input.new_password,
            now=info.context.now,
        )
        info.context.response.delete_cookie(COOKIE_NAME, path="/")
        return ChangePasswordSuccess(sessions_revoked=revoked)
