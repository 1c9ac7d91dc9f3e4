"""Employer batch checks (用人单位批量核验) and the employer accounts that make them.

``createVerificationBatch`` checks and queues an employer account's lines
(``verification_batches.create_verification_batch``); a worker answers them into one signed
report, and the employer polls ``verificationBatch`` until it is done, then downloads
``reportPath`` (and ``csvPath``). ``createEmployerAccount`` is an administrator's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.account import AccountType
from graphql_api.types.verification_batches import VerificationBatchType
from schema.enums import Role
from schema.services.batch_lines import MAX_LINE_CHARS, MAX_LINES
from schema.services.employers import create_employer
from schema.services.verification_batches import create_verification_batch

__all__ = ["EmployerAccountMutations", "VerificationBatchMutations"]


@strawberry.input(
    description=f"One certificate per line (at most {MAX_LINES} lines of {MAX_LINE_CHARS} "
    "characters): `证书编号,持证人姓名` (comma, full-width comma or tab), or the text of the "
    "certificate's QR code (its verification URL). Blank lines and a header line are skipped."
)
class CreateVerificationBatchInput:
    text: str
    as_of: date | None = strawberry.field(
        default=None,
        description="Also answer each certificate's state at the end of this day (Beijing "
        "time), from the audit trail: was it valid on that day?",
    )


@strawberry.type
class CreateVerificationBatchSuccess:
    batch: VerificationBatchType = strawberry.field(
        description="The queued batch; poll verificationBatch."
    )


CreateVerificationBatchPayload = Annotated[
    CreateVerificationBatchSuccess | UserErrors,
    strawberry.union("CreateVerificationBatchPayload"),
]


@strawberry.type
class VerificationBatchMutations:
    @strawberry.mutation(
        description="Queue a batch check of many certificates (employer accounts only; "
        "limited per account and day)."
    )
    async def create_verification_batch(
        self, info: Info, input: CreateVerificationBatchInput
    ) -> CreateVerificationBatchPayload:
        actor = require_mutation_actor(info, Role.EMPLOYER)
        batch = await create_verification_batch(
            actor=actor, text=input.text, as_of=input.as_of, now=info.context.now
        )
        await info.context.deps.jobs.enqueue_check(batch.public_id)
        return CreateVerificationBatchSuccess(batch=VerificationBatchType.from_model(batch))


@strawberry.input(
    description="An employer's operator account: the organisation and the operator (经办人)."
)
class CreateEmployerAccountInput:
    organisation_name: str
    credit_code: str = strawberry.field(description="统一社会信用代码 (GB 32100-2015).")
    name: str = strawberry.field(description="The operator's real name.")
    id_number: str
    mobile: str
    password: str = strawberry.field(
        description="The initial password, given to the operator by the administrator."
    )


@strawberry.type
class CreateEmployerAccountSuccess:
    account: AccountType = strawberry.field(
        description="The operator's account; its first login enrols a TOTP authenticator."
    )
    organisation_name: str
    credit_code: str


CreateEmployerAccountPayload = Annotated[
    CreateEmployerAccountSuccess | UserErrors, strawberry.union("CreateEmployerAccountPayload")
]


@strawberry.type
class EmployerAccountMutations:
    @strawberry.mutation(description="Create an employer's operator account (administrators).")
    async def create_employer_account(
        self, info: Info, input: CreateEmployerAccountInput
    ) -> CreateEmployerAccountPayload:
        actor = require_mutation_actor(info, Role.ADMIN)
        created = await create_employer(
            actor=actor,
            pii=info.context.deps.pii,
            organisation_name=input.organisation_name,
            credit_code=input.credit_code,
            name=input.name,
            id_number=input.id_number,
            mobile=input.mobile,
            password=input.password,
            now=info.context.now,
        )
        return CreateEmployerAccountSuccess(
            account=AccountType.from_model(created.account),
            organisation_name=created.employer.organisation_name,
            credit_code=created.employer.credit_code,
        )
