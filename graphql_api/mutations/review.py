"""The reviewing authority's mutations on registrations: approve (issue) and return, from the
queue and from photo review. Reviewers act on their own authority's records only; admins on
all. Corrections and revocation: ``mutations.corrections`` and ``mutations.revocation``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.certificate import CertificateType
from graphql_api.types.registration import RegistrationType
from schema.access import require_reviewer
from schema.models import RegistrationStatus
from schema.services import review

__all__ = ["ReviewMutations"]


@strawberry.input
class ApproveRegistrationInput:
    id: strawberry.ID


@strawberry.input(description="退回: a reason from reference.returnReasons, and a note.")
class ReturnRegistrationInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Return reason code (PHOTO_UNCLEAR, …).")
    note: str | None = strawberry.field(default=None, description="审核意见 (OTHER needs one).")


@strawberry.type
class ApproveRegistrationSuccess:
    certificate: CertificateType
    registration: RegistrationType = strawberry.field(description="Now 已生成.")


@strawberry.type
class ReturnRegistrationSuccess:
    registration: RegistrationType


ApproveRegistrationPayload = Annotated[
    ApproveRegistrationSuccess | UserErrors, strawberry.union("ApproveRegistrationPayload")
]
ReturnRegistrationPayload = Annotated[
    ReturnRegistrationSuccess | UserErrors, strawberry.union("ReturnRegistrationPayload")
]


async def _approve(
    info: Info, input: ApproveRegistrationInput, status: RegistrationStatus
) -> ApproveRegistrationSuccess:
    """Approve from the queue of ``status`` (待审核 or 照片待审核): the certificate is issued."""
    actor = require_reviewer(require_mutation_actor(info))
    catalog = info.context.catalog
    cert = await review.approve_registration(
        actor=actor,
        registration_id=str(input.id),
        issuer=info.context.deps.issuer,
        catalog=catalog,
        now=info.context.now,
        status=status,
    )
    return ApproveRegistrationSuccess(
        certificate=CertificateType.from_model(cert, catalog),
        registration=RegistrationType.from_model(cert.registration, catalog),
    )


async def _return(
    info: Info, input: ReturnRegistrationInput, status: RegistrationStatus
) -> ReturnRegistrationSuccess:
    """Return from the queue of ``status`` with a listed reason."""
    actor = require_reviewer(require_mutation_actor(info))
    catalog = info.context.catalog
    reg = await review.return_registration(
        actor=actor,
        registration_id=str(input.id),
        reason_code=input.reason,
        note=input.note,
        catalog=catalog,
        now=info.context.now,
        status=status,
    )
    return ReturnRegistrationSuccess(registration=RegistrationType.from_model(reg, catalog))


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="Approve: number (2021+), sign and issue the certificate.")
    async def approve_registration(
        self, info: Info, input: ApproveRegistrationInput
    ) -> ApproveRegistrationPayload:
        return await _approve(info, input, RegistrationStatus.SUBMITTED)

    @strawberry.mutation(description="Return to the applicant with a reason (已退回).")
    async def return_registration(
        self, info: Info, input: ReturnRegistrationInput
    ) -> ReturnRegistrationPayload:
        return await _return(info, input, RegistrationStatus.SUBMITTED)

    @strawberry.mutation(
        description="照片待审核: approve the new photo of a title-system result; the "
        "certificate is generated at once (its data were checked when loaded)."
    )
    async def approve_registration_photo(
        self, info: Info, input: ApproveRegistrationInput
    ) -> ApproveRegistrationPayload:
        return await _approve(info, input, RegistrationStatus.PHOTO_REVIEW)

    @strawberry.mutation(
        description="照片待审核: refuse the photo with a reason; the record goes back to 待完善 "
        "and the holder uploads another photo."
    )
    async def return_registration_photo(
        self, info: Info, input: ReturnRegistrationInput
    ) -> ReturnRegistrationPayload:
        return await _return(info, input, RegistrationStatus.PHOTO_REVIEW)
