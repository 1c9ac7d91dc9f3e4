"""``ecert backup DEST`` and ``ecert restore SRC``: the database and every blob, with a manifest.

A backup is a directory (or a ``.tar``/``.tar.gz`` of one)::

    manifest.json            what is inside: each file's size and SHA-256, the migration the
                             database is at, the app version, the signing key ids, counts,
                             and the secrets that are NOT inside (restore them separately)
    database/ecert.sqlite3   SQLite: a consistent copy made with the online backup API
    database/ecert.pgdump    PostgreSQL with ``pg_dump`` on PATH: its custom format
    database/tables/*.copy   PostgreSQL without ``pg_dump``: every table in COPY binary form
    blobs/ab/cd/<sha256>     photos, QR images, collection files (the data dir's blobs/)

The database is copied first and the blobs after: every blob a row names was written
before that row committed (photos and QR images are stored before their transaction), so
the copy of the blob directory holds every blob the copied database refers to, while the
service keeps running. Secrets (the PII keys, the signing passphrase) are never copied.

``ecert restore SRC`` checks every file against the manifest first and refuses with one line
on any difference, then restores into an EMPTY database and data directory, applies the
migrations newer than the backup (as ``ecert migrate``) and checks the result: every
certificate's signed QR content verifies and every file a record names is present.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import graphlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schema.http_edge.settings import Settings

__all__ = ["BackupError", "add_parsers", "backup", "check_restored", "restore"]

FORMAT = "ecert-backup/1"
MANIFEST = "manifest.json"
MIGRATIONS_TABLE = "tortoise_migrations"
SECRETS = ("ECERT_PII_HMAC_KEY", "ECERT_PII_ENCRYPTION_KEY", "ECERT_SIGNING_PASSPHRASE")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


class BackupError(Exception):
    """A backup or restore that cannot go on: one line for the operator (exit status 2)."""


# ------------------------------------------------------------------------------ helpers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith((".tmp-", ".probe-")):
            yield path


def _is_tar(path: Path) -> bool:
    return path.name.endswith(_TAR_SUFFIXES)


def _app_version() -> str:
    try:
        return metadata.version("ecert")
    except metadata.PackageNotFoundError:
        return "unknown"


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while the service writes."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _pg_env(url: str) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never on a command line."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    env = {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGDATABASE": unquote(parts.path.lstrip("/")) or "postgres",
    }
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    params = dict(parse_qsl(parts.query))
    for name in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if name in params:
            env["PG" + name.upper()] = params[name]
    if "sslrootcert" in params and "sslmode" not in params:
        env["PGSSLMODE"] = "verify-full"  # as schema.db reads the URL
    return {**os.environ, **env}


def _run_tool(args: list[str], url: str) -> None:
    result = subprocess.run(  # noqa: S603 (fixed tool names, no shell)
        args, env=_pg_env(url), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{args[0]} failed: {lines[-1] if lines else result.returncode}")


async def _pg_connect(url: str) -> Any:
    import asyncpg

    from schema.db import CONNECT_TIMEOUT_SECONDS, explain_database_error, postgres_connect_kwargs

    try:
        return await asyncpg.connect(
            **postgres_connect_kwargs(url), timeout=CONNECT_TIMEOUT_SECONDS
        )
    except Exception as exc:
        raise explain_database_error(exc, url) from None


async def _pg_tables(conn: Any) -> list[str]:
    """Our tables (the models' and the migration recorder's), parents before children."""
    from tortoise import Tortoise

    apps = Tortoise.apps
    models = apps["models"].values() if apps is not None and "models" in apps else []
    ours = {model._meta.db_table for model in models}
    ours.add(MIGRATIONS_TABLE)
    present = {
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace"
        )
    }
    tables = ours & present
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for table in tables:
        sorter.add(table)
    for row in await conn.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent "
        "FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        child, parent = row["child"].strip('"'), row["parent"].strip('"')
        if child in tables and parent in tables and child != parent:
            sorter.add(child, parent)
    return list(sorter.static_order())


async def _pg_columns(conn: Any, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        table,
    )
    return [r["attname"] for r in rows]


# ------------------------------------------------------------------------------- backup


@dataclass
class _Facts:
    migration: str | None
    keys: list[dict[str, str | None]]
    counts: dict[str, int]


async def _facts(settings: Settings) -> _Facts:
    """What the manifest says about the database: read through the ORM, both backends."""
    from tortoise import Tortoise

    from schema.db import close_db, open_db
    from schema.models import Certificate, ImportJob, Registration, SigningKey

    await open_db(settings.database_url)
    try:
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE app = 'models' ORDER BY name"  # noqa: S608
        )
        names = sorted(str(dict(r)["name"]) for r in rows)
        keys = [
            {
                "kid": k.kid,
                "notBefore": k.not_before.isoformat(),
                "retiredAt": k.retired_at.isoformat() if k.retired_at else None,
                "revokedAt": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in await SigningKey.all().order_by("not_before", "id")
        ]
        counts = {
            "certificates": await Certificate.all().count(),
            "registrations": await Registration.all().count(),
            "importJobs": await ImportJob.all().count(),
        }
    finally:
        await close_db()
    return _Facts(migration=names[-1] if names else None, keys=keys, counts=counts)


async def _dump_postgres(settings: Settings, target: Path, method: str) -> dict[str, Any]:
    if method in ("auto", "pg_dump") and shutil.which("pg_dump"):
        path = target / "ecert.pgdump"
        try:
            _run_tool(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"],
                settings.database_url,
            )
            return {"method": "pg_dump", "file": "database/ecert.pgdump"}
        except BackupError:
            # e.g. a pg_dump older than the server: COPY needs no client tools.
            path.unlink(missing_ok=True)
            if method == "pg_dump":
                raise
    if method == "pg_dump":
        raise BackupError("pg_dump is not on PATH (use --pg-method copy)")
    from schema.db import close_db, open_db

    await open_db(settings.database_url)  # for the models' table names
    conn = await _pg_connect(settings.database_url)
    tables_dir = target / "tables"
    tables_dir.mkdir()
    listed: list[dict[str, Any]] = []
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            for table in await _pg_tables(conn):
                columns = await _pg_columns(conn, table)
                await conn.copy_from_table(
                    table,
                    output=str(tables_dir / f"{table}.copy"),
                    columns=columns,
                    format="binary",
                )
                listed.append({"table": table, "columns": columns})
    finally:
        await conn.close()
        await close_db()
    return {"method": "copy", "tables": listed}


async def _dump(settings: Settings, work: Path, pg_method: str) -> tuple[dict[str, Any], _Facts]:
    """The database into ``work/database`` (first: see the module docstring) and its facts."""
    from schema.db import sqlite_path

    facts = await _facts(settings)
    path = sqlite_path(settings.database_url)
    if path is not None:
        await asyncio.to_thread(_sqlite_copy, path, work / "database" / "ecert.sqlite3")
        return {
            "backend": "sqlite",
            "method": "sqlite-backup-api",
            "file": "database/ecert.sqlite3",
        }, facts
    dumped = await _dump_postgres(settings, work / "database", pg_method)
    return {"backend": "postgres", **dumped}, facts


def _write_manifest(
    settings: Settings, work: Path, database: dict[str, Any], facts: _Facts
) -> dict[str, Any]:
    """Copy the blobs (after the database), hash every file, write manifest.json."""
    blobs_root = settings.data_dir / "blobs"
    if blobs_root.is_dir():
        shutil.copytree(
            blobs_root, work / "blobs", ignore=shutil.ignore_patterns(".tmp-*", ".probe-*")
        )
    files: list[dict[str, Any]] = [
        {"path": p.relative_to(work).as_posix(), "size": p.stat().st_size, "sha256": _sha256(p)}
        for p in _files(work)
    ]
    manifest = {
        "format": FORMAT,
        "createdAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "appVersion": _app_version(),
        "migration": facts.migration,
        "database": database,
        "publicBaseUrl": settings.public_base_url,
        "signingKeys": facts.keys,
        "counts": {**facts.counts, "blobs": sum(f["path"].startswith("blobs/") for f in files)},
        "files": files,
        "notIncluded": {
            "secrets": list(SECRETS),
            "why": "secrets are never copied into a backup: keep them in the secret store "
            "and set them (same values) on the restored service; without "
            "ECERT_PII_* the ID numbers cannot be read or looked up, without "
            "ECERT_SIGNING_PASSPHRASE no new certificate can be signed",
        },
    }
    (work / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def backup(settings: Settings, dest: Path, *, pg_method: str = "auto") -> list[str]:
    """Write a backup to ``dest`` (a new directory, or a .tar/.tar.gz file)."""
    tar = _is_tar(dest)
    if dest.exists() and (tar or not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists: give a new path")
    if tar:
        work = Path(tempfile.mkdtemp(prefix=".ecert-backup-", dir=dest.parent))
    else:
        dest.mkdir(parents=True, exist_ok=True)
        work = dest
    try:
        (work / "database").mkdir()
        database, facts = asyncio.run(_dump(settings, work, pg_method))
        manifest = _write_manifest(settings, work, database, facts)
        if tar:
            compressed = dest.name.endswith(("gz", ".tgz"))
            with tarfile.open(dest, "w:gz") if compressed else tarfile.open(dest, "w") as archive:
                archive.add(work, arcname=".")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if tar:
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()
        raise
    finally:
        if tar:
            shutil.rmtree(work, ignore_errors=True)
    counts = manifest["counts"]
    return [
        f"backup written to {dest}: database ({database['method']}, migration "
        f"{facts.migration}), {counts['blobs']} files, {counts['certificates']} certificates",
        "not included, keep them separately: " + ", ".join(SECRETS),
    ]


# ------------------------------------------------------------------------------ restore


@contextlib.contextmanager
def _opened(source: Path) -> Iterator[Path]:
    """The backup as a directory (a tar archive is unpacked into a temporary one)."""
    if source.is_dir():
        yield source
        return
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise BackupError(f"{source} is neither a backup directory nor a tar archive")
    with tempfile.TemporaryDirectory(prefix=".ecert-restore-") as tmp:
        with tarfile.open(source) as archive:
            archive.extractall(tmp, filter="data")
        yield Path(tmp)


def _verified_manifest(root: Path) -> dict[str, Any]:
    """The manifest, after every file it lists matched its size and SHA-256."""
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{root / MANIFEST}: cannot read the manifest ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"not an ecert backup ({MANIFEST} format {manifest.get('format')!r})")
    for entry in manifest["files"]:
        rel = Path(entry["path"])
        if rel.is_absolute() or ".." in rel.parts:
            raise BackupError(f"backup damaged: unsafe path {entry['path']!r} in the manifest")
        path = root / rel
        if not path.is_file():
            raise BackupError(f"backup damaged: {entry['path']} is missing")
        if path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            raise BackupError(f"backup damaged: {entry['path']} does not match its SHA-256")
    return manifest


def _known_migration(name: str | None) -> None:
    from schema.db import MIGRATIONS_MODULE

    if name is None:
        return
    package = Path(__import__(MIGRATIONS_MODULE, fromlist=["_"]).__file__ or "").parent
    if not (package / f"{name}.py").is_file():
        raise BackupError(
            f"the backup's database is at migration {name}, which this version of ecert "
            "does not know: restore with the ecert version that made it (or newer)"
        )


async def _require_empty_postgres(url: str) -> None:
    conn = await _pg_connect(url)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace"
        )
    finally:
        await conn.close()
    if count:
        from schema.db import describe_database

        raise BackupError(
            f"{describe_database(url)} is not empty ({count} tables): restore only into an "
            "empty database (create a new one)"
        )


async def _restore_postgres(
    settings: Settings, root: Path, database: dict[str, Any], migration: str | None
) -> None:
    url = settings.database_url
    await _require_empty_postgres(url)
    if database["method"] == "pg_dump":
        if not shutil.which("pg_restore"):
            raise BackupError("the backup was made with pg_dump: pg_restore is not on PATH")
        _run_tool(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname=" + _pg_env(url)["PGDATABASE"],
                str(root / database["file"]),
            ],
            url,
        )
        return
    from schema.db import migrate

    # The tables as the backup's migration made them, then the rows, in one transaction.
    await migrate(url, target=f"models.{migration}" if migration else None)
    from schema.db import close_db, open_db

    await open_db(url)
    conn = await _pg_connect(url)
    try:
        async with conn.transaction():
            tables = [t["table"] for t in database["tables"]]
            await conn.execute(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )
            for entry in database["tables"]:
                await conn.copy_to_table(
                    entry["table"],
                    source=str(root / "database" / "tables" / f"{entry['table']}.copy"),
                    columns=entry["columns"],
                    format="binary",
                )
            for row in await conn.fetch(
                "SELECT c.relname AS t, a.attname AS c, "
                "pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS s "
                "FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid "
                "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
                "AND a.attnum > 0 AND NOT a.attisdropped"
            ):
                if row["s"] and row["t"] in tables:
                    await conn.execute(
                        f'SELECT setval($1, COALESCE((SELECT max("{row["c"]}") FROM '  # noqa: S608
                        f'"{row["t"]}"), 1), (SELECT count(*) > 0 FROM "{row["t"]}"))',
                        row["s"],
                    )
    finally:
        await conn.close()
        await close_db()


def _copy_blobs(root: Path, blobs: Path) -> int:
    source = root / "blobs"
    if not source.is_dir():
        return 0
    count = 0
    for path in _files(source):
        target = blobs / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(path, target)
        target.chmod(0o600)
        count += 1
    return count


async def check_restored(settings: Settings) -> list[str]:
    """Every certificate's signed QR content verifies on this service's origin, and every
    file a record names is present (QR images may be missing: they are drawn again)."""
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps
    from schema.models import Certificate, ImportJob, Registration
    from schema.services.reference import current_catalog
    from schema.services.verification import verify_text

    deps = build_deps(settings)
    await open_db(settings.database_url)
    try:
        catalog = await current_catalog()
        now = deps.clock()
        unverified: list[str] = []
        certificates = await Certificate.all().only(
            "id", "cert_id", "verification_url", "photo_sha256", "qr_png_sha256"
        )
        missing_photos: list[str] = []
        for cert in certificates:
            if cert.verification_url:
                outcome = await verify_text(
                    text=cert.verification_url,
                    public_base_url=settings.public_base_url,
                    catalog=catalog,
                    now=now,
                )
                if not outcome.signature_verified:
                    unverified.append(cert.cert_id)
            if cert.photo_sha256 and not await deps.store.exists(cert.photo_sha256):
                missing_photos.append(cert.cert_id)
        registrations = await Registration.exclude(photo_sha256=None).only("id", "photo_sha256")
        missing_reg = [
            r
            for r in registrations
            if r.photo_sha256 and not await deps.store.exists(r.photo_sha256)
        ]
        jobs = await ImportJob.all().only("id", "file_sha256", "photos_sha256")
        missing_jobs = [
            j
            for j in jobs
            if not await deps.store.exists(j.file_sha256)
            or (j.photos_sha256 and not await deps.store.exists(j.photos_sha256))
        ]
    finally:
        await close_db()
    if unverified:
        raise BackupError(
            f"check failed: {len(unverified)} of {len(certificates)} certificates do not verify "
            f"(first {unverified[0]}): is ECERT_PUBLIC_BASE_URL the backup's origin?"
        )
    if missing_photos or missing_reg or missing_jobs:
        raise BackupError(
            f"check failed: files missing for {len(missing_photos)} certificate photos, "
            f"{len(missing_reg)} registration photos, {len(missing_jobs)} import jobs"
        )
    return [
        f"check: {len(certificates)} certificates verify; photos and files of "
        f"{len(registrations)} registrations and {len(jobs)} import jobs present"
    ]


async def _after_restore(settings: Settings) -> list[str]:
    """Newer migrations, reference data, the queue schema (as ``ecert migrate``); the check."""
    from graphql_api.bootstrap import prepare_database

    return [*await prepare_database(settings), *await check_restored(settings)]


def restore(settings: Settings, source: Path, *, check_only: bool = False) -> list[str]:
    """Check ``source`` against its manifest; restore it into an empty database and data
    directory; check the result."""
    from schema.db import sqlite_path
    from schema.storage import check_data_dir

    with _opened(source) as root:
        manifest = _verified_manifest(root)
        lines = [
            f"backup verified: {len(manifest['files'])} files match the manifest "
            f"(made {manifest['createdAt']}, migration {manifest['migration']})"
        ]
        if check_only:
            return lines
        database = manifest["database"]
        _known_migration(manifest["migration"])
        if manifest.get("publicBaseUrl") and manifest["publicBaseUrl"] != settings.public_base_url:
            raise BackupError(
                f"ECERT_PUBLIC_BASE_URL is {settings.public_base_url} but the backup's "
                f"certificates carry {manifest['publicBaseUrl']}: set it to the backup's"
            )
        path = sqlite_path(settings.database_url)
        if (database["backend"] == "sqlite") != (path is not None):
            raise BackupError(
                f"the backup holds a {database['backend']} database but ECERT_DATABASE_URL "
                "names another kind"
            )
        blobs = settings.data_dir / "blobs"
        if blobs.exists() and any(blobs.iterdir()):
            raise BackupError(f"{blobs} is not empty: restore only into an empty data directory")
        check_data_dir(settings.data_dir)
        if path is not None:
            if path.exists() and path.stat().st_size > 0:
                raise BackupError(f"{path} already exists: restore only into an empty database")
            path.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(root / database["file"], path)
        else:
            asyncio.run(_restore_postgres(settings, root, database, manifest["migration"]))
        copied = _copy_blobs(root, blobs)
    lines.append(f"restored the database ({database['method']}) and {copied} files")
    lines += asyncio.run(_after_restore(settings))
    lines.append("now set the secrets kept separately (same values): " + ", ".join(SECRETS))
    return lines


# -------------------------------------------------------------------------------- commands


def _settings() -> Settings:
    from schema.http_edge.settings import load_settings

    return load_settings()


def _cmd_backup(args: argparse.Namespace) -> int:
    for line in backup(_settings(), Path(args.dest).resolve(), pg_method=args.pg_method):
        print(line)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    for line in restore(_settings(), Path(args.src).resolve(), check_only=args.check_only):
        print(line)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "backup", help="write the database and every stored file, with a manifest, to DEST"
    )
    p.add_argument("dest", help="a new directory, or a .tar / .tar.gz file")
    p.add_argument(
        "--pg-method",
        choices=["auto", "pg_dump", "copy"],
        default="auto",
        help="PostgreSQL: pg_dump custom format (auto: when on PATH) or COPY of every table",
    )
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser(
        "restore",
        help="check a backup against its manifest and restore it into an EMPTY "
        "database and data directory",
    )
    p.add_argument("src", help="a backup directory or archive")
    p.add_argument(
        "--check-only", action="store_true", help="only check every file against the manifest"
    )
    p.set_defaults(func=_cmd_restore)
