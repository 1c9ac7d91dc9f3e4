"""撤销 and 恢复 of an issued certificate by a reviewer of its authority (admins: any).
Mirrors ``schema.services.revocation``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.certificate import CertificateType
from schema.access import require_reviewer
from schema.services import revocation

__all__ = ["RevocationMutations"]


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
class CertificateSuccess:
    certificate: CertificateType


CertificatePayload = Annotated[
    CertificateSuccess | UserErrors, strawberry.union("CertificatePayload")
]


@strawberry.type
class RevocationMutations:
    @strawberry.mutation(description="Revoke a valid certificate (已撤销).")
    async def revoke_certificate(
        self, info: Info, input: RevokeCertificateInput
    ) -> CertificatePayload:
        actor = require_reviewer(require_mutation_actor(info))
        catalog = info.context.catalog
        cert = await revocation.revoke_certificate(
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
        actor = require_reviewer(require_mutation_actor(info))
        cert = await revocation.reinstate_certificate(
            actor=actor, cert_id=str(input.cert_id), note=input.note, now=info.context.now
        )
        return CertificateSuccess(
            certificate=CertificateType.from_model(cert, info.context.catalog)
        )
