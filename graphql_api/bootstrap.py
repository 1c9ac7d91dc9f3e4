"""Preparing a database: migrations, reference data and, in development, a signing key."""

from __future__ import annotations

from datetime import UTC, datetime

from schema.db import close_db, migrate, open_db
from schema.http_edge.settings import Settings

__all__ = ["prepare_database"]


async def _development_key(settings: Settings) -> str:
    """`make run` must be able to issue certificates: create a key when none can sign.
    Never in production or tests, where keys are created on purpose (`ecert keys create`)."""
    from schema.services.signing_keys import ensure_development_key

    kid = await ensure_development_key(
        passphrase=settings.signing_passphrase.reveal(), now=datetime.now(UTC)
    )
    return f"development signing key {kid} created" if kid else "signing key present"


async def prepare_database(settings: Settings, *, target: str | None = None) -> list[str]:
    """Idempotent: safe to run at every start (``make run`` does)."""
    if settings.database_url.startswith("sqlite://"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    from schema.http_edge.deps import pii_protector

    await migrate(settings.database_url, target=target, pii=pii_protector(settings))
    lines = [f"migrations applied ({target or 'latest'})"]
    if settings.is_postgres and target is None:
        from graphql_api.worker import apply_queue_schema

        lines.append(await apply_queue_schema(settings))
    if target is None:
        await open_db(settings.database_url)
        try:
            from schema.services.reference import load_reference_data

            lines.extend(await load_reference_data())
            if settings.env == "development":
                lines.append(await _development_key(settings))
        finally:
            await close_db()
    return lines
