"""Preparing a database: migrations, reference data (and, later, a development key)."""

from __future__ import annotations

from graphql_api.settings import Settings
from schema.db import close_db, migrate, open_db

__all__ = ["prepare_database"]


async def prepare_database(settings: Settings, *, target: str | None = None) -> list[str]:
    """Idempotent: safe to run at every start (``make run`` does)."""
    if settings.database_url.startswith("sqlite://"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    await migrate(settings.database_url, target=target)
    lines = [f"migrations applied ({target or 'latest'})"]
    if target is None:
        await open_db(settings.database_url)
        try:
            from schema.services.reference import load_reference_data

            lines.extend(await load_reference_data())
        finally:
            await close_db()
    return lines
