"""Database configuration, connection lifecycle and migrations (Tortoise 1.x built-in)."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tortoise import Tortoise
from tortoise.migrations.api import migrate as _migrate

from schema.pii import PiiProtector
from schema.pii_migration import migration_keys

__all__ = ["DatabaseUrlError", "close_db", "migrate", "open_db", "tortoise_config"]

MODELS_MODULE = "schema.models"
MIGRATIONS_MODULE = "schema.migrations"


_POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class DatabaseUrlError(ValueError):
    """The database URL cannot be used (one line, shown as a configuration error)."""


def _ssl(mode: str, params: dict[str, str]) -> ssl.SSLContext | str | bool:
    """libpq's ``sslmode`` (and ``sslrootcert``/``sslcert``/``sslkey``) as asyncpg's ``ssl``."""
    if mode not in _SSL_MODES:
        raise DatabaseUrlError(f"sslmode must be one of {', '.join(_SSL_MODES)}")
    if mode == "disable":
        return False
    if mode in ("allow", "prefer"):
        return mode
    context = ssl.create_default_context(cafile=params.get("sslrootcert") or None)
    if mode == "require":  # encrypted, not verified (libpq's meaning)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif mode == "verify-ca":
        context.check_hostname = False
    if params.get("sslcert"):
        context.load_cert_chain(params["sslcert"], params.get("sslkey") or None)
    return context


def _postgres_connection(url: str) -> dict[str, Any]:
    """A PostgreSQL URL (``postgres://``, ``postgresql://``; libpq's ``sslmode`` and
    certificate parameters understood) as Tortoise's asyncpg connection settings."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    credentials: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": unquote(parts.path.lstrip("/")) or "postgres",
    }
    mode = params.pop("sslmode", None)
    tls_files: dict[str, str] = {
        k: params.pop(k) for k in ("sslrootcert", "sslcert", "sslkey") if k in params
    }
    if mode is not None or tls_files:
        credentials["ssl"] = _ssl(mode or "verify-full", tls_files)
    credentials.update(params)
    return {"engine": "tortoise.backends.asyncpg", "credentials": credentials}


def _connection(url: str) -> str | dict[str, Any]:
    if urlsplit(url).scheme in _POSTGRES_SCHEMES:
        return _postgres_connection(url)
    return url


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database; all timestamps are timezone-aware UTC."""
    return {
        "connections": {"default": _connection(database_url)},
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


async def migrate(
    database_url: str, *, target: str | None = None, pii: PiiProtector | None = None
) -> None:
    """Apply migrations up to ``target`` (``models.0001_initial``) or the latest.
    ``pii``: the keys for data steps that seal personal data (see schema.pii_migration)."""
    with migration_keys(pii):
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
