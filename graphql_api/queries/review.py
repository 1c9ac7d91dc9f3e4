"""The reviewing authority's queries: the queue, one registration with its photo, a
certificate's history. A reviewer sees only its own authority's work; an admin sees all.
Pending corrections: ``queries.corrections``."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from graphql_api.types.registration import (
    AuditEntryType,
    RegistrationStatusEnum,
    RegistrationType,
)
from schema.access import require_reviewer
from schema.models import RegistrationStatus
from schema.reference.catalog import Catalog
from schema.services import history, review
from schema.storage import BlobNotFound

__all__ = ["CertificateHistoryQueries", "ReviewQueries"]


@strawberry.input(description="Narrows the review queue; every field is optional.")
class ReviewQueueFilter:
    status: RegistrationStatusEnum | None = strawberry.field(
        default=strawberry.UNSET,
        description="Absent: 待审核 (SUBMITTED); null: every status except drafts and withdrawn.",
    )
    level: str | None = strawberry.field(default=None, description="Level code or name.")
    series: str | None = strawberry.field(default=None, description="Series code or name.")
    submitted_from: date | None = None
    submitted_to: date | None = strawberry.field(default=None, description="Inclusive.")
    authority: str | None = strawberry.field(
        default=None, description="Admins only: one authority's queue (code or name)."
    )


@strawberry.type(name="RegistrationReview", description="A registration as its reviewer opens it.")
class RegistrationReview:
    registration: RegistrationType
    photo_sha256: strawberry.Private[str | None]

    @strawberry.field(description="The photo as a data: URL (JPEG), or null when none.")
    async def photo_data_url(self, info: Info) -> str | None:
        if not self.photo_sha256:
            return None
        try:
            data = await info.context.deps.store.get(self.photo_sha256)
        except BlobNotFound:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")

    @strawberry.field(description="Every recorded change, oldest first (each review round).")
    async def history(self, info: Info) -> list[AuditEntryType]:
        actor = require_reviewer(require(info))
        rows = await history.registration_history(
            actor=actor, registration_id=str(self.registration.id)
        )
        return [AuditEntryType.from_model(r) for r in rows]


def _queue_filter(given: ReviewQueueFilter | None, catalog: Catalog) -> review.QueueFilter:
    if given is None:
        return review.QueueFilter()
    options: dict[str, Any] = {}
    if given.status is not strawberry.UNSET:
        options["status"] = None if given.status is None else RegistrationStatus(given.status)
    if given.level:
        found = catalog.resolve_level(given.level)
        options["level"] = found.code if found else given.level
    if given.series:
        series = catalog.resolve_series(given.series)
        options["series_code"] = series.code if series else given.series
    if given.authority:
        authority = catalog.resolve_authority(given.authority)
        options["authority_code"] = authority.code if authority else given.authority
    return review.QueueFilter(
        submitted_from=given.submitted_from, submitted_to=given.submitted_to, **options
    )


@strawberry.type
class ReviewQueries:
    @strawberry.field(description="The review queue, oldest first (cursor pagination).")
    async def review_queue(
        self,
        info: Info,
        filter: ReviewQueueFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[RegistrationType]:
        actor = require_reviewer(require(info))
        catalog = info.context.catalog
        page = await review.review_queue(
            actor=actor, filters=_queue_filter(filter, catalog), first=first, after=after
        )
        return connection(page, lambda r: RegistrationType.from_model(r, catalog))

    @strawberry.field(description="Open a registration of the reviewer's authority.")
    async def review_registration(self, info: Info, id: strawberry.ID) -> RegistrationReview:
        actor = require_reviewer(require(info))
        reg = await review.open_registration(actor=actor, registration_id=str(id))
        return RegistrationReview(
            registration=RegistrationType.from_model(reg, info.context.catalog),
            photo_sha256=reg.photo_sha256,
        )


# Its own class: the root lists it after the correction queue (``graphql_api.root``).
@strawberry.type
class CertificateHistoryQueries:
    @strawberry.field(
        description="Every event of a certificate's lineage (issue, corrections, revocation, "
        "reinstatement), oldest first, with the authority's notes."
    )
    async def certificate_history(self, info: Info, cert_id: strawberry.ID) -> list[AuditEntryType]:
        actor = require_reviewer(require(info))
        rows = await history.certificate_history(actor=actor, cert_id=str(cert_id))
        return [AuditEntryType.from_model(r) for r in rows]
