"""Public verification over GraphQL and the lookup by number and name (no login).
Mirrors ``schema.services.verification`` and ``schema.services.lookup``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.types.certificate_views import CertificateVerificationType
from schema.services.lookup import lookup_certificate
from schema.services.verification import verify_text

__all__ = ["VerificationQueries"]

LookupCertificatePayload = Annotated[
    CertificateVerificationType | UserErrors, strawberry.union("LookupCertificatePayload")
]


@strawberry.type
class VerificationQueries:
    @strawberry.field(
        description="The verdict for the text of a certificate's QR code (the verification "
        "URL), exactly as the public page gives it. Public (no login)."
    )
    async def verify_certificate(self, info: Info, url: str) -> CertificateVerificationType:
        ctx = info.context
        outcome = await verify_text(
            text=url,
            public_base_url=ctx.deps.settings.public_base_url,
            catalog=info.context.catalog,
            now=ctx.now,
        )
        return CertificateVerificationType.of(outcome)

    @strawberry.field(
        description="查询: the verdict for the certificate with exactly this number and the "
        "holder's full name. Unknown number and wrong name give the same LOOKUP_NO_MATCH; "
        "attempts are limited per client address (LOOKUP_RATE_LIMITED). Public."
    )
    async def lookup_certificate(
        self, info: Info, number: str, holder_name: str
    ) -> LookupCertificatePayload:
        ctx = info.context
        outcome = await lookup_certificate(
            number=number,
            holder_name=holder_name,
            client_ip=ctx.client_ip,
            catalog=info.context.catalog,
            now=ctx.now,
        )
        return CertificateVerificationType.of(outcome)
