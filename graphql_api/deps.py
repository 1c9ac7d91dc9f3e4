"""Process-wide dependencies built once from settings and handed to every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from graphql_api.settings import Settings
from schema.pii import PiiProtector
from schema.services.issuance import Issuer
from schema.services.signing_keys import Signer
from schema.storage import BlobStore, FileBlobStore

__all__ = ["Deps", "build_deps", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    pii: PiiProtector
    store: BlobStore
    issuer: Issuer
    clock: Callable[[], datetime] = field(default=utc_now)

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.session_ttl_hours)


def build_deps(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Deps:
    store = FileBlobStore(settings.data_dir / "blobs")
    return Deps(
        settings=settings,
        pii=PiiProtector(
            hmac_key=settings.pii_hmac_key.reveal(),
            encryption_key=settings.pii_encryption_key.reveal(),
        ),
        store=store,
        issuer=Issuer(
            signer=Signer(settings.signing_passphrase.reveal()),
            store=store,
            public_base_url=settings.public_base_url,
        ),
        clock=clock,
    )
