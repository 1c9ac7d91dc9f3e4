"""Preparing a database: migrations, reference data and, in development, a signing key, the
key list's trust root and the document sealing certificates."""

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


async def _development_trust_root(settings: Settings) -> str:
    """`make run` publishes the signed key list too: create its trust root when missing
    (production: `ecert keys init-trust-root`, on purpose)."""
    from schema.services.key_list import ensure_development_trust_root

    kid = await ensure_development_trust_root(
        passphrase=settings.signing_passphrase.reveal(), now=datetime.now(UTC)
    )
    return f"development key list trust root {kid} created" if kid else "trust root present"


async def _development_document_ca(settings: Settings) -> str:
    """`make run` must be able to hand out sealed PDF certificates: create the document
    sealing hierarchy's missing parts (production: `ecert ca init`, on purpose)."""
    from schema.actor import SYSTEM
    from schema.services.document_seal import init_document_ca
    from schema.services.reference import current_catalog

    result = await init_document_ca(
        actor=SYSTEM,
        passphrase=settings.signing_passphrase.reveal(),
        catalog=await current_catalog(),
        now=datetime.now(UTC),
    )
    if result.root_created:
        return "development document sealing root and authority certificates created"
    return "document sealing certificates present"


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
                lines.append(await _development_trust_root(settings))
                lines.append(await _development_document_ca(settings))
            from schema.documents import check_fonts

            font_problem = check_fonts()
            lines.append(
                f"certificate documents (PDF, card) cannot be rendered: {font_problem}"
                if font_problem
                else "CJK font for certificate documents found"
            )
        finally:
            await close_db()
    return lines
