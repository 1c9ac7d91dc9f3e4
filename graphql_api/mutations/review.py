"""The reviewing authority's mutations: approve (issue), return, decide corrections, revoke and
reinstate. Reviewers act on their own authority's records only; admins on all."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.certificate import CertificateType, CorrectionRequestType
from graphql_api.types.registration import RegistrationType
from schema.enums import Role
from schema.models import RegistrationStatus
from schema.services import certificates, review

__all__ = ["ReviewMutations"]

_REVIEWERS = (Role.REVIEWER, Role.ADMIN)


@strawberry.input
class ApproveRegistrationInput:
    id: strawberry.ID


@strawberry.input(description="退回: a reason from reference.returnReasons, and a note.")
class ReturnRegistrationInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Return reason code (PHOTO_UNCLEAR, …).")
    note: str | None = strawberry.field(default=None, description="审核意见 (OTHER needs one).")


@strawberry.input
class DecideCorrectionInput:
    id: strawberry.ID
    approve: bool
    note: str | None = strawberry.field(default=None, description="Required when rejecting.")


@strawberry.input(description="撤销: a category from reference.revocationReasons and a note.")
class RevokeCertificateInput:
    cert_id: strawberry.ID
    reason: str
    note: str | None = strawberry.field(
        default=None, description="Private to the authority; most categories require it."
    )


@strawberry.input
class ReinstateCertificateInput:
    cert_id: strawberry.ID
    note: str = strawberry.field(description="Why the revocation is undone (5+ characters).")


@strawberry.type
class ApproveRegistrationSuccess:
    certificate: CertificateType
    registration: RegistrationType = strawberry.field(description="Now 已生成.")


@strawberry.type
class ReturnRegistrationSuccess:
    registration: RegistrationType


@strawberry.type
class DecideCorrectionSuccess:
    correction_request: CorrectionRequestType


@strawberry.type
class CertificateSuccess:
    certificate: CertificateType


ApproveRegistrationPayload = Annotated[
    ApproveRegistrationSuccess | UserErrors, strawberry.union("ApproveRegistrationPayload")
]
ReturnRegistrationPayload = Annotated[
    ReturnRegistrationSuccess | UserErrors, strawberry.union("ReturnRegistrationPayload")
]
DecideCorrectionPayload = Annotated[
    DecideCorrectionSuccess | UserErrors, strawberry.union("DecideCorrectionPayload")
]
CertificatePayload = Annotated[
    CertificateSuccess | UserErrors, strawberry.union("CertificatePayload")
]


async def _approve(
    info: Info, input: ApproveRegistrationInput, status: RegistrationStatus
) -> ApproveRegistrationSuccess:
    """Approve from the queue of ``status`` (待审核 or 照片待审核): the certificate is issued."""
    actor = require_mutation_actor(info, *_REVIEWERS)
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
    actor = require_mutation_actor(info, *_REVIEWERS)
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

    @strawberry.mutation(
        description="Approve (new version) or reject (with a reason) a correction."
    )
    async def decide_correction(
        self, info: Info, input: DecideCorrectionInput
    ) -> DecideCorrectionPayload:
        actor = require_mutation_actor(info, *_REVIEWERS)
        catalog = info.context.catalog
        request = await certificates.decide_correction(
            actor=actor,
            correction_id=str(input.id),
            approve=input.approve,
            note=input.note,
            issuer=info.context.deps.issuer,
            catalog=catalog,
            now=info.context.now,
        )
        return DecideCorrectionSuccess(
            correction_request=CorrectionRequestType.from_model(request, catalog)
        )

    @strawberry.mutation(description="Revoke a valid certificate (已撤销).")
    async def revoke_certificate(
        self, info: Info, input: RevokeCertificateInput
    ) -> CertificatePayload:
        actor = require_mutation_actor(info, *_REVIEWERS)
        catalog = info.context.catalog
        cert = await certificates.revoke_certificate(
            actor=actor,
            cert_id=str(input.cert_id),
            reason_code=input.reason,
            note=input.note,
            catalog=catalog,
            now=info.context.now,
        )
        return CertificateSuccess(certificate=CertificateType.from_model(cert, catalog))

    @strawberry.mutation(description="Undo a revocation, with a reason (audited).")
    async def reinstate_certificate(
        self, info: Info, input: ReinstateCertificateInput
    ) -> CertificatePayload:
        actor = require_mutation_actor(info, *_REVIEWERS)
        cert = await certificates.reinstate_certificate(
            actor=actor, cert_id=str(input.cert_id), note=input.note, now=info.context.now
        )
        return CertificateSuccess(
            certificate=CertificateType.from_model(cert, info.context.catalog)
        )
