"""Public verification over GraphQL, the lookup by number and name, and the holder's QR."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require
from graphql_api.types.certificate_views import (
    CertificateVerificationType,
    IssuedCertificateViewType,
)
from schema.enums import Role
from schema.services.lookup import lookup_certificate
from schema.services.verification import holder_qr, verify_text

__all__ = ["CertificateViewQueries"]

LookupCertificatePayload = Annotated[
    CertificateVerificationType | UserErrors, strawberry.union("LookupCertificatePayload")
]


@strawberry.type
class CertificateViewQueries:
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

    @strawberry.field(
        description="The holder's own issued certificate: verification URL, check code and "
        "the QR code (SVG text and base64 PNG) as rendered at issuance."
    )
    async def my_issued_certificate(self, info: Info, cert_id: str) -> IssuedCertificateViewType:
        actor = require(info, Role.APPLICANT)
        found = await holder_qr(actor=actor, cert_id=cert_id, store=info.context.deps.store)
        return IssuedCertificateViewType.of(found)
