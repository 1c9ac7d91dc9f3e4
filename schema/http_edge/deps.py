"""Process-wide dependencies built once from settings and handed to every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from schema.http_edge.settings import Settings
from schema.pii import PiiProtector
from schema.services.access_cache import AccessCache
from schema.services.certificate_documents import DocumentRenderer
from schema.services.document_seal import DocumentSealer
from schema.services.issuance import Issuer
from schema.services.signing_keys import Signer
from schema.sms import LogSmsProvider, SmsProvider, build_sms_provider
from schema.storage import BlobStore, FileBlobStore

__all__ = ["Deps", "JobsSlot", "build_deps", "pii_protector", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class JobsSlot:
    """Who runs collection jobs, document batches and key re-issue jobs in this process: set by the app's
    lifespan (the in-process worker on SQLite, the queue on PostgreSQL); empty in a process
    that only serves."""

    dispatcher: Any = None

    async def enqueue(self, job_id: str) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.enqueue(job_id)

    async def enqueue_batch(self, batch_id: str) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.enqueue_batch(batch_id)

    async def enqueue_reissue(self, job_id: str) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.enqueue_reissue(job_id)

    async def enqueue_check(self, batch_id: str) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.enqueue_check(batch_id)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    pii: PiiProtector
    store: BlobStore
    issuer: Issuer
    documents: DocumentRenderer
    clock: Callable[[], datetime] = field(default=utc_now)
    jobs: JobsSlot = field(default_factory=JobsSlot)
    sms: SmsProvider = field(default_factory=LogSmsProvider)
    # The holder QR route's session rows (PostgreSQL; filled only while the app's lifespan
    # keeps it listening for changes): schema.services.access_cache.
    access_cache: AccessCache | None = None

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.session_ttl_hours)


def pii_protector(settings: Settings) -> PiiProtector:
    return PiiProtector(
        hmac_key=settings.pii_hmac_key.reveal(),
        encryption_key=settings.pii_encryption_key.reveal(),
        previous_encryption_keys=[k.reveal() for k in settings.pii_previous_encryption_keys],
    )


def build_deps(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Deps:
    store = FileBlobStore(settings.data_dir / "blobs")
    sealer = DocumentSealer(settings.signing_passphrase.reveal())
    return Deps(
        settings=settings,
        pii=pii_protector(settings),
        store=store,
        issuer=Issuer(
            signer=Signer(settings.signing_passphrase.reveal()),
            store=store,
            public_base_url=settings.public_base_url,
        ),
        documents=DocumentRenderer(store=store, sealer=sealer, clock=clock),
        clock=clock,
        sms=build_sms_provider(settings.sms_provider),
        access_cache=(
            AccessCache(ttl=settings.access_cache_seconds)
            if settings.is_postgres and settings.access_cache_seconds > 0
            else None
        ),
    )
