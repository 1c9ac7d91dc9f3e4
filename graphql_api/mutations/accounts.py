"""Account mutations: one-time SMS codes, register, log in, log out, change and reset the
password, and the reclaim of an ID number at the authority's counter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.mutations.staff import TotpEnrolmentRequired, totp_sealer
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.account import AccountType
from schema import rules
from schema.enums import Role, SmsPurpose
from schema.http_edge.auth import COOKIE_NAME
from schema.services import accounts, otp, sessions

__all__ = ["AccountMutations"]

strawberry.enum(
    SmsPurpose,
    name="SmsPurpose",
    description="What a one-time SMS code is for: REGISTER, RESET_PASSWORD or LOGIN.",
)
SmsPurposeEnum = SmsPurpose


@strawberry.input(description="Ask for a one-time SMS code (6 digits, valid 10 minutes).")
class RequestSmsCodeInput:
    mobile: str
    purpose: SmsPurposeEnum


@strawberry.type(
    description="The request was accepted. The answer is the same whether or not an account "
    "has this mobile: a reset or login code is only sent to the mobile of an account."
)
class RequestSmsCodeSuccess:
    mobile_masked: str
    expires_in_seconds: int
    resend_after_seconds: int


@strawberry.input(
    description="实名制注册: name, 18-digit resident ID number, mobile, password, and the "
    "code sent to that mobile by requestSmsCode (purpose REGISTER)."
)
class RegisterAccountInput:
    name: str
    id_number: str
    mobile: str
    password: str
    sms_code: str


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
        description="Browsers: set an HttpOnly session cookie instead of returning the "
        "token (`token` is then null: no script can read the session); send csrfToken back "
        "in the X-CSRF-Token header with every mutation. Other clients leave it false and "
        "get the bearer token in `token`.",
    )
    second_factor: str | None = strawberry.field(
        default=None,
        description="Only when the answer was SECOND_FACTOR_REQUIRED: for an applicant the "
        "code from requestSmsCode (purpose LOGIN), sent to the account's mobile.",
    )


@strawberry.type
class LoginSuccess:
    token: str | None = strawberry.field(
        description="Opaque bearer token: `Authorization: Bearer …`. Null when the login set "
        "the session cookie (setCookie: true): the cookie is the session then."
    )
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


@strawberry.input(description="Set a new password with a code (purpose RESET_PASSWORD).")
class ResetPasswordInput:
    id_number: str
    mobile: str = strawberry.field(description="The mobile the account was registered with.")
    code: str
    new_password: str


@strawberry.type
class ResetPasswordSuccess:
    sessions_revoked: int = strawberry.field(
        description="Every session of the account is revoked: log in with the new password."
    )


@strawberry.input(
    description="At the authority's counter, after checking the person's identity documents: "
    "take an ID number back from the account that registered it."
)
class ReclaimIdentityInput:
    id_number: str
    name: str = strawberry.field(description="The real person's name, as on the ID card.")
    mobile: str = strawberry.field(description="The real person's mobile, checked at the counter.")
    note: str = strawberry.field(
        description="What was checked (documents), why: kept in the audit."
    )


@strawberry.type
class ReclaimIdentitySuccess:
    account: AccountType = strawberry.field(
        description="The real person's new account, bound to the checked mobile, with no "
        "password yet: they set one with resetPassword (a code sent to that mobile)."
    )
    disabled_account_id: strawberry.ID
    sessions_revoked: int
    withdrawn_registrations: list[strawberry.ID] = strawberry.field(
        description="Undecided registrations of the disabled account, withdrawn."
    )
    detached_registrations: list[strawberry.ID] = strawberry.field(
        description="Registrations made by the disabled account: they stay with it."
    )
    detached_certificates: list[str] = strawberry.field(
        description="certIds issued from those registrations: still valid until the authority "
        "examines them (revokeCertificate if they are false). They stay with the disabled "
        "account."
    )
    loaded_records_touched: list[strawberry.ID] = strawberry.field(
        description="Records loaded by an authority that the disabled account had edited: "
        "they stay with the ID number (the real person); check them."
    )


RequestSmsCodePayload = Annotated[
    RequestSmsCodeSuccess | UserErrors, strawberry.union("RequestSmsCodePayload")
]
ResetPasswordPayload = Annotated[
    ResetPasswordSuccess | UserErrors, strawberry.union("ResetPasswordPayload")
]
ReclaimIdentityPayload = Annotated[
    ReclaimIdentitySuccess | UserErrors, strawberry.union("ReclaimIdentityPayload")
]
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
    @strawberry.mutation(
        description="Send a one-time code to a mobile (once a minute, a few a day)."
    )
    async def request_sms_code(
        self, info: Info, input: RequestSmsCodeInput
    ) -> RequestSmsCodePayload:
        ctx = info.context
        await accounts.request_sms_code(
            pii=ctx.deps.pii,
            sms=ctx.deps.sms,
            mobile=input.mobile,
            purpose=input.purpose,
            client_ip=ctx.client_ip,
            now=ctx.now,
        )
        return RequestSmsCodeSuccess(
            mobile_masked=rules.mask_mobile(input.mobile),
            expires_in_seconds=int(otp.CODE_TTL.total_seconds()),
            resend_after_seconds=int(otp.RESEND_COOLDOWN.total_seconds()),
        )

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
            sms_code=input.sms_code,
            client_ip=ctx.client_ip,
            now=ctx.now,
        )
        return RegisterAccountSuccess(
            account=AccountType.from_model(created.account, full_id_number=created.id_number)
        )

    @strawberry.mutation(
        description="Log in with ID number and password. One rule for where the session "
        "goes: with setCookie: true (browsers) it is set as an HttpOnly cookie and `token` is "
        "null; otherwise (apps, scripts) `token` carries it and no cookie is set. Staff also "
        "send totpCode."
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
            second_factor=input.second_factor,
            totp_code=input.totp_code,
            totp=totp_sealer(ctx.deps),
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
            token=None if input.set_cookie else issued.token,
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

    @strawberry.mutation(
        description="Forgotten password: set a new one with a code sent to the account's "
        "mobile (requestSmsCode, purpose RESET_PASSWORD); every session is revoked."
    )
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        ctx = info.context
        revoked = await accounts.reset_password(
            pii=ctx.deps.pii,
            id_number=input.id_number,
            mobile=input.mobile,
            code=input.code,
            new_password=input.new_password,
            client_ip=ctx.client_ip,
            now=ctx.now,
        )
        return ResetPasswordSuccess(sessions_revoked=revoked)

    @strawberry.mutation(
        description="Reviewers and administrators, at the counter: disable the account that "
        "registered someone else's ID number and open the real person's account."
    )
    async def reclaim_identity(
        self, info: Info, input: ReclaimIdentityInput
    ) -> ReclaimIdentityPayload:
        actor = require_mutation_actor(info, Role.REVIEWER, Role.ADMIN)
        done = await accounts.reclaim_identity(
            actor=actor,
            pii=info.context.deps.pii,
            id_number=input.id_number,
            name=input.name,
            mobile=input.mobile,
            note=input.note,
            now=info.context.now,
        )
        return ReclaimIdentitySuccess(
            account=AccountType.from_model(done.account),
            disabled_account_id=strawberry.ID(done.disabled.public_id),
            sessions_revoked=done.sessions_revoked,
            withdrawn_registrations=[strawberry.ID(i) for i in done.withdrawn_registrations],
            detached_registrations=[strawberry.ID(i) for i in done.detached_registrations],
            detached_certificates=done.detached_certificates,
            loaded_records_touched=[strawberry.ID(i) for i in done.loaded_records_touched],
        )
