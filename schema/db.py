"""Database configuration, connection lifecycle and migrations (Tortoise 1.x built-in)."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as _migrate

__all__ = ["close_db", "migrate", "open_db", "tortoise_config"]

MODELS_MODULE = "schema.models"
MIGRATIONS_MODULE = "schema.migrations"


def _normalise_url(url: str) -> str:
    # Tortoise's asyncpg backend answers to postgres://; accept the common spellings.
    for prefix in ("postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database; all timestamps are timezone-aware UTC."""
    return {
        "connections": {"default": _normalise_url(database_url)},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str, *, target: str | None = None) -> None:
    """Apply migrations up to ``target`` (``models.0001_initial``) or the latest."""
    await _migrate(config=tortoise_config(database_url), target=target)
    await Tortoise.close_connections()


async def open_db(database_url: str) -> None:
    """Open the connections for the process (request tasks see them via the global context)."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


# Used only by `tortoise makemigrations` (see the Makefile's `migrations` target): the
# autodetector compares the models with the migration files, not with a live database.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
