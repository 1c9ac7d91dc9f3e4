"""Database configuration, connection lifecycle and migrations (Tortoise 1.x built-in)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tortoise import Tortoise

from schema.pii import PiiProtector
from schema.pii_migration import migration_keys
from schema.services.narrow_rows import close_readers

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "DatabaseUnavailable",
    "DatabaseUrlError",
    "close_db",
    "describe_database",
    "explain_database_error",
    "migrate",
    "open_db",
    "postgres_connect_kwargs",
    "sqlite_path",
    "tortoise_config",
]

#: How long opening the database may take before the command gives up (a backstop: the
#: drivers' own connect timeouts are longer, and a wrong host can swallow packets).
CONNECT_TIMEOUT_SECONDS = 15.0

MODELS_MODULE = "schema.models"
MIGRATIONS_MODULE = "schema.migrations"


_POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


class DatabaseUrlError(ValueError):
    """The database URL cannot be used (one line, shown as a configuration error)."""


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened: one line saying which database and why (never the
    password). Raised by :func:`open_db` and :func:`migrate` instead of the driver's error."""


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
    credentials["reset"] = _release_without_reset_query
    return {"engine": "tortoise.backends.asyncpg", "credentials": credentials}


async def _release_without_reset_query(connection: object) -> None:
    """What a pooled connection needs on release beyond asyncpg's own clean-up (which rolls
    back an open transaction first): nothing. asyncpg's default runs ``SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` after *every* query taken
    outside a transaction, one more round trip each (half the round trips of a verification
    scan, issue 10). ecert keeps no session state on its connections: no advisory locks, no
    LISTEN, no ``SET`` beyond ``SET TRANSACTION`` (which ends with the transaction), and no
    cursors outliving one, so there is nothing to reset. Anything that starts needing
    session state must use its own connection, not the pool."""


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite://PATH`` URL (None for PostgreSQL or an in-memory database)."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return None
    path = url[len("sqlite://") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def describe_database(url: str) -> str:
    """Which database, for messages: ``PostgreSQL database "ecert" at db:5432`` or
    ``SQLite database /srv/ecert.sqlite3`` — never the user's password."""
    path = sqlite_path(url)
    if urlsplit(url).scheme == "sqlite":
        return f"SQLite database {path or ':memory:'}"
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/")) or "postgres"
    return f'PostgreSQL database "{name}" at {parts.hostname or "127.0.0.1"}:{parts.port or 5432}'


def _sqlite_reason(path: Path | None, detail: str) -> str:
    if path is None:
        return detail
    directory = path.parent
    if not directory.exists():
        return f"directory {directory} does not exist"
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if path.is_dir():
        return f"{path} is a directory"
    with contextlib.suppress(OSError):
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return f"directory {directory} is on a read-only file system"
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{detail} ({path} or its directory is not writable by this user)"
    return detail


def _one_line(text: str) -> str:
    return " ".join(text.split())


def explain_database_error(exc: BaseException, url: str) -> DatabaseUnavailable:
    """The driver's exception (asyncpg, sqlite3, Tortoise's wrappers) as one plain line."""
    import sqlite3  # here, not at module level: the web app on PostgreSQL never loads it

    import asyncpg

    where = describe_database(url)
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    # The most telling error anywhere in the chain wins (Tortoise wraps asyncpg's, and its
    # DBConnectionError is itself an OSError).
    for err in chain:
        if isinstance(err, DatabaseUnavailable):
            return err
    for err in chain:
        if isinstance(err, TimeoutError):
            return DatabaseUnavailable(
                f"{where}: no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s "
                "(wrong host or port, or a firewall dropping packets?)"
            )
        if isinstance(err, asyncpg.InvalidCatalogNameError):
            return DatabaseUnavailable(f"{where}: the database does not exist (create it first)")
        if isinstance(err, asyncpg.InvalidPasswordError):
            return DatabaseUnavailable(f"{where}: {_one_line(str(err))}")
        if isinstance(err, asyncpg.InvalidAuthorizationSpecificationError):
            return DatabaseUnavailable(f"{where}: login refused: {_one_line(str(err))}")
        if isinstance(err, asyncpg.PostgresError):
            return DatabaseUnavailable(f"{where}: {_one_line(str(err)) or type(err).__name__}")
        if isinstance(err, sqlite3.Error):
            return DatabaseUnavailable(
                f"cannot open {where}: {_sqlite_reason(sqlite_path(url), str(err))}"
            )
    for err in chain:
        if isinstance(err, ConnectionRefusedError):
            return DatabaseUnavailable(
                f"{where}: connection refused (is PostgreSQL running and listening there?)"
            )
        if isinstance(err, socket.gaierror):
            return DatabaseUnavailable(f"{where}: unknown host ({err.strerror})")
        if isinstance(err, ssl.SSLError):
            return DatabaseUnavailable(f"{where}: TLS failed: {err.reason or err}")
    for err in chain:
        if isinstance(err, OSError) and err.strerror:
            return DatabaseUnavailable(f"{where}: {err.strerror}")
    first = chain[0]
    detail = _one_line(str(first)) or type(first).__name__
    if urlsplit(url).scheme == "sqlite":
        detail = _sqlite_reason(sqlite_path(url), detail)
    return DatabaseUnavailable(f"cannot open {where}: {detail}")


def postgres_connect_kwargs(url: str) -> dict[str, Any]:
    """``asyncpg.connect`` keyword arguments for a PostgreSQL URL (TLS included)."""
    credentials = _postgres_connection(url)["credentials"]
    wanted = ("host", "port", "user", "password", "database", "ssl")
    return {k: credentials[k] for k in wanted if credentials.get(k) is not None}


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
    ``pii``: the keys for data steps that seal personal data (see schema.pii_migration).

    The database is opened once first: Tortoise's migration recorder swallows the error of
    a connection that cannot be opened and its connection lock stays taken, so the next
    statement would wait forever (an unopenable SQLite path made ``ecert migrate`` hang).
    """
    # Tortoise's migration engine (its schema editors for every dialect) is loaded by
    # `ecert migrate` only, not by the web app.
    from tortoise.migrations.api import migrate as _migrate

    await open_db(database_url)
    await close_db()
    try:
        with migration_keys(pii):
            await _migrate(config=tortoise_config(database_url), target=target)
    finally:
        await Tortoise.close_connections()


async def open_db(database_url: str) -> None:
    """Open the connections for the process (request tasks see them via the global context).

    The connection is made here, not at the first query, and any failure is raised as
    :class:`DatabaseUnavailable` (one line). Made lazily, a failed SQLite connection leaves
    Tortoise's connection lock taken and every later query waits forever.
    """
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        client = Tortoise.get_connection("default")
        await asyncio.wait_for(
            client.create_connection(with_db=True), timeout=CONNECT_TIMEOUT_SECONDS
        )
        path = sqlite_path(database_url)
        if path is not None and os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            # SQLite would open the file read-only without complaint and fail at the first
            # save: say it now. (Not a write probe: another process may hold the write lock.)
            raise DatabaseUnavailable(
                f"cannot open {describe_database(database_url)}: "
                f"directory {path.parent} is on a read-only file system"
            )
    except Exception as exc:
        with contextlib.suppress(Exception):
            await Tortoise.close_connections()
        raise explain_database_error(exc, database_url) from None


async def close_db() -> None:
    await Tortoise.close_connections()
    close_readers()


# Used only by `tortoise makemigrations` (see the Makefile's `migrations` target): the
# autodetector compares the models with the migration files, not with a live database.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
