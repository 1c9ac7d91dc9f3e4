"""The bench data set: built once through the project's own services and crypto, then
snapshotted into ``bench/.cache/<key>/`` and copied for every run.

Per database (PostgreSQL and SQLite) it holds: the migrated schema and reference data; a
holder (applicant) with a certificate issued through the real review flow; a reviewer,
admin and signer (staff TOTP enrolled through the real services); a signing key;
``approvals`` registrations submitted and waiting for review; and ``certificates``
certificates signed with that key (``bench.harness.certificates``) and bulk-inserted with
``schema.services.bulk_write``. The key of the cache is a hash of the migrations, this
generator's code and the sizes, so a second ``make bench`` reuses the snapshot.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import secrets
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / ".cache"
PUBLIC_BASE_URL = "https://verify.ecert.bench"
BACKENDS = ("postgres", "sqlite")
# Template databases carry the checkout's tag: worktrees sharing one PostgreSQL server never
# drop or overwrite each other's snapshots.
CHECKOUT_TAG = hashlib.sha256(str(ROOT).encode()).hexdigest()[:6]
_TEMPLATE_PREFIX = f"ecert_bench_tpl_{CHECKOUT_TAG}_"
_KEYED_SOURCES = (
    "schema/migrations",
    "bench/harness/dataset.py",
    "bench/harness/certificates.py",
    "tests/support/flows.py",
    "tests/support/factories.py",
    "tests/support/totp.py",
)

__all__ = ["Dataset", "DatasetSpec", "ensure_dataset", "restore_run_copy"]


@dataclass(frozen=True)
class DatasetSpec:
    certificates: int
    approvals: int
    paths: int = 2000  # verification paths the wrk script picks from
    holder_certificates: int = 20  # generated certificates that belong to the holder
    backends: tuple[str, ...] = BACKENDS
    postgres: str = "postgres://postgres@127.0.0.1:5432"

    def code_digest(self) -> str:
        """A hash of what shapes the data: the migrations and this generator's code."""
        digest = hashlib.sha256()
        for name in _KEYED_SOURCES:
            path = ROOT / name
            files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            for file in files:
                digest.update(str(file.relative_to(ROOT)).encode())
                digest.update(file.read_bytes())
        return digest.hexdigest()[:12]

    def key(self) -> str:
        sizes = f"{self.certificates}/{self.approvals}/{self.paths}/{self.holder_certificates}"
        size_tag = hashlib.sha256(sizes.encode()).hexdigest()[:6]
        return f"{self.code_digest()}_{self.certificates}_{size_tag}"


@dataclass
class Dataset:
    """What a built data set holds (``manifest.json`` in its cache directory)."""

    key: str
    certificates: int
    secrets: dict[str, str]
    public_base_url: str
    holder_id_number: str
    password: str
    reviewer_id_number: str
    reviewer_totp_secret: dict[str, str] = field(default_factory=dict)  # backend → secret
    holder_cert_ids: dict[str, list[str]] = field(default_factory=dict)
    approvals: dict[str, list[str]] = field(default_factory=dict)  # backend → registration ids
    built: list[str] = field(default_factory=list)
    build_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        return CACHE / self.key

    def paths_file(self, backend: str) -> Path:
        return self.directory / f"paths-{backend}.txt"

    def template_name(self, backend: str) -> str:
        return f"{_TEMPLATE_PREFIX}{self.key}"

    def save(self) -> None:
        (self.directory / "manifest.json").write_text(
            json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Dataset:
        return cls(**json.loads((directory / "manifest.json").read_text(encoding="utf-8")))

    def environ(self, *, database_url: str, data_dir: Path, env: str) -> dict[str, str]:
        """ecert's environment for this data set (``env``: production to serve, test to seed)."""
        return {
            **self.secrets,
            "ECERT_ENV": env,
            "ECERT_DATABASE_URL": database_url,
            "ECERT_DATA_DIR": str(data_dir),
            "ECERT_PUBLIC_BASE_URL": self.public_base_url,
        }


def _new_secrets() -> dict[str, str]:
    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    return {
        "ECERT_PII_HMAC_KEY": key(),
        "ECERT_PII_ENCRYPTION_KEY": key(),
        "ECERT_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
    }


async def _pg_admin(base: str, *sql: str) -> None:
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _pg_exists(base: str, name: str) -> bool:
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def _log(message: str) -> None:
    print(f"[data] {message}", flush=True)


async def _seed(
    dataset: Dataset, spec: DatasetSpec, backend: str, url: str, data_dir: Path
) -> None:
    """Fill one fresh database through the real services, then bulk-insert certificates."""
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from bench.harness.certificates import (
        CERTIFICATE_COLUMNS,
        ContentPools,
        SigningJob,
        certificate_rows,
    )
    from crypto import unlock
    from graphql_api.bootstrap import prepare_database
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import load_settings
    from schema.models import Account, Certificate
    from schema.services.bulk_write import insert_rows
    from schema.services.reference import current_catalog
    from schema.services.signing_keys import key_records
    from schema.services.verification import verification_path
    from tests.support.databases import forget_cached_sql
    from tests.support.factories import ID_MALE_1985, NOW, PASSWORD
    from tests.support.flows import (
        REVIEWER_ID,
        YUBEI_TITLE,
        fill_and_submit,
        issue_yubei_certificate,
        make_people,
    )
    from tests.support.totp import sealer

    forget_cached_sql()
    settings = load_settings(dataset.environ(database_url=url, data_dir=data_dir, env="test"))
    await prepare_database(settings)
    await open_db(url)
    try:
        deps = build_deps(settings)
        people = await make_people(deps)
        first = await issue_yubei_certificate(deps, people)
        reviewer = await Account.get(id=people.reviewer.account_id)
        # make_people enrolled the reviewer's TOTP; keep its secret to log in over HTTP.
        assert reviewer.totp_secret_cipher is not None
        dataset.reviewer_totp_secret[backend] = sealer(deps).open(reviewer.totp_secret_cipher)
        started = time.perf_counter()
        pending: list[str] = []
        for n in range(spec.approvals):
            # One certificate per (document, level, specialty): each registration its own.
            reg = await fill_and_submit(
                deps,
                people.applicant,
                title=YUBEI_TITLE,
                specialty={"specialty": "其他", "localSpecialty": f"智能建造{n:03d}"},
            )
            pending.append(reg.public_id)
        dataset.approvals[backend] = pending
        _log(
            f"{backend}: {spec.approvals} registrations submitted in "
            f"{time.perf_counter() - started:.1f}s"
        )

        catalog = await current_catalog()
        record = (await key_records())[-1]
        private = unlock(record, settings.signing_passphrase.reveal())
        holder = await Account.get(id=people.applicant.account_id)
        template = SigningJob(
            start=0,
            count=0,
            seed=20261201,
            pools=ContentPools.from_catalog(catalog),
            private_seed=private.private_bytes_raw(),
            kid=record.kid,
            public_base_url=dataset.public_base_url,
            registration_id=first.registration_id,
            signed_at=(NOW - timedelta(days=1)).replace(microsecond=0),
            holder=(holder.id, holder.id_number_hmac),
            holder_rows=spec.holder_certificates,
        )
        started = time.perf_counter()
        done = 0
        sample: list[str] = []
        rng = random.Random(7)
        for rows in certificate_rows(template, spec.certificates):
            async with in_transaction() as tx:
                await insert_rows(tx, "certificate", CERTIFICATE_COLUMNS, rows)
            url_at = CERTIFICATE_COLUMNS.index("verification_url")
            for row in rows:
                # reservoir sampling of the verification paths
                done += 1
                if len(sample) < spec.paths:
                    sample.append(verification_path(str(row[url_at])))
                elif (j := rng.randrange(done)) < spec.paths:
                    sample[j] = verification_path(str(row[url_at]))
        _log(
            f"{backend}: {done:,} certificates signed and inserted in "
            f"{time.perf_counter() - started:.1f}s"
        )
        dataset.paths_file(backend).write_text("\n".join(sample) + "\n", encoding="utf-8")
        owned = (
            await Certificate.filter(holder_id=holder.id)
            .order_by("id")
            .values_list("cert_id", flat=True)
        )
        dataset.holder_cert_ids[backend] = [str(c) for c in owned]
        dataset.holder_id_number = ID_MALE_1985  # make_people's applicant
        dataset.password = PASSWORD
        dataset.reviewer_id_number = REVIEWER_ID
        if backend == "postgres":
            await connections.get("default").execute_script("ANALYZE")
    finally:
        await close_db()


def _build_backend(dataset: Dataset, spec: DatasetSpec, backend: str) -> None:
    directory = dataset.directory
    data_dir = directory / f"data-{backend}"
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    if backend == "postgres":
        name = dataset.template_name(backend)
        asyncio.run(
            _pg_admin(
                spec.postgres,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}"',
            )
        )
        url = f"{spec.postgres}/{name}"
    else:
        db = directory / "sqlite" / "ecert.sqlite3"
        shutil.rmtree(db.parent, ignore_errors=True)
        db.parent.mkdir(parents=True)
        url = f"sqlite://{db}"
    asyncio.run(_seed(dataset, spec, backend, url, data_dir))
    if backend == "sqlite":
        with sqlite3.connect(directory / "sqlite" / "ecert.sqlite3") as conn:
            conn.execute("ANALYZE")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dataset.build_seconds[backend] = round(time.perf_counter() - started, 1)
    dataset.built.append(backend)
    dataset.save()


def _forget_other_snapshots(spec: DatasetSpec, key: str) -> None:
    """Snapshots made by other code (the migrations or the generator changed) take disk;
    those of the same code at other sizes (the quick mode's) stay."""
    current = key.split("_", 1)[0]
    for old in CACHE.glob("*") if CACHE.is_dir() else []:
        if old.is_dir() and not old.name.startswith(current + "_"):
            shutil.rmtree(old, ignore_errors=True)
    if "postgres" not in spec.backends:
        return

    async def drop() -> None:
        conn = await asyncpg.connect(f"{spec.postgres}/postgres")
        try:
            names = await conn.fetch(
                "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
                _TEMPLATE_PREFIX,
            )
            for row in names:
                if not row["datname"].startswith(f"{_TEMPLATE_PREFIX}{current}_"):
                    await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def ensure_dataset(spec: DatasetSpec, *, rebuild: bool = False) -> Dataset:
    """The cached data set for ``spec``, built first when missing (or partly built);
    ``rebuild``: built again even when cached."""
    key = spec.key()
    directory = CACHE / key
    if rebuild:
        shutil.rmtree(directory, ignore_errors=True)
    _forget_other_snapshots(spec, key)
    if (directory / "manifest.json").exists():
        dataset = Dataset.load(directory)
    else:
        directory.mkdir(parents=True, exist_ok=True)
        dataset = Dataset(
            key=key,
            certificates=spec.certificates + 1,  # + the one issued through the review flow
            secrets=_new_secrets(),
            public_base_url=PUBLIC_BASE_URL,
            holder_id_number="",
            password="",
            reviewer_id_number="",
        )
    for backend in spec.backends:
        present = backend in dataset.built and (
            backend != "postgres"
            or asyncio.run(_pg_exists(spec.postgres, dataset.template_name(backend)))
        )
        if present:
            _log(f"{backend}: reusing the cached data set {key}")
            continue
        if backend in dataset.built:
            dataset.built.remove(backend)
        _log(f"{backend}: building {spec.certificates:,} certificates (cached as {key})")
        _build_backend(dataset, spec, backend)
    return dataset


def restore_run_copy(
    dataset: Dataset, backend: str, run_dir: Path, *, postgres: str, name: str
) -> tuple[str, Path]:
    """A fresh copy of the snapshot for one run: (database URL, data directory)."""
    data_dir = run_dir / f"data-{backend}"
    shutil.rmtree(data_dir, ignore_errors=True)
    shutil.copytree(dataset.directory / f"data-{backend}", data_dir)
    if backend == "postgres":
        template = dataset.template_name(backend)
        asyncio.run(
            _pg_admin(
                postgres,
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
            )
        )
        return f"{postgres}/{name}", data_dir
    db = run_dir / "sqlite" / "ecert.sqlite3"
    shutil.rmtree(db.parent, ignore_errors=True)
    db.parent.mkdir(parents=True)
    shutil.copy2(dataset.directory / "sqlite" / "ecert.sqlite3", db)
    return f"sqlite://{db}", data_dir


def drop_run_copy(postgres: str, name: str) -> None:
    asyncio.run(_pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
