"""The holder's own issued certificates: every version (我的证书) and one certificate's
verification URL, check code and QR code. Mirrors ``schema.services.holder_certificates``.

Two classes because the root lists ``myIssuedCertificate`` after the public verification
queries, where it was first published (``graphql_api.root``).
"""

from __future__ import annotations

import functools

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.private_results import PrivateAnswer, answers_whole_operation
from graphql_api.types.certificate import CertificateType
from graphql_api.types.certificate_views import IssuedCertificateViewType
from graphql_api.types.connection import Connection, connection
from schema.access import require_holder
from schema.services import holder_certificates

__all__ = ["HolderCertificateQueries", "IssuedCertificateQueries"]


@strawberry.type
class HolderCertificateQueries:
    @strawberry.field(
        description="The applicant's e-certificates, every version in the order issued "
        "(cursor pagination; 已更正 ones point to the version that replaced them)."
    )
    async def my_certificates(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[CertificateType]:
        actor = require_holder(require(info))
        page = await holder_certificates.my_certificates(actor=actor, first=first, after=after)
        catalog = info.context.catalog
        if page.revision is not None and answers_whole_operation(info.operation, info.field_name):
            # Every field of the answer comes from the page's rows and the catalog (and
            # supersededBy from a row id's certId, which never changes).
            info.context.private_answer = PrivateAnswer(
                probe=functools.partial(
                    holder_certificates.my_certificates_revision,
                    actor=actor,
                    first=first,
                    after=after,
                ),
                revision=page.revision,
            )
        return connection(page, lambda c: CertificateType.from_model(c, catalog))


@strawberry.type
class IssuedCertificateQueries:
    @strawberry.field(
        description="The holder's own issued certificate: verification URL, check code and "
        "the QR code (SVG text and base64 PNG) as rendered at issuance."
    )
    async def my_issued_certificate(self, info: Info, cert_id: str) -> IssuedCertificateViewType:
        actor = require_holder(require(info))
        found = await holder_certificates.holder_qr(
            actor=actor, cert_id=cert_id, store=info.context.deps.store
        )
        return IssuedCertificateViewType.of(found)
