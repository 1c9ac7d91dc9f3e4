"""Baselines the collection benchmark compares against, measured in the same process and run.

* ``copy_baseline``: rows/s of writing the same rows into the tables the import writes
  (``registration``, ``registration_key``, ``audit_record``) with raw asyncpg binary COPY — no
  validation, every value computed before the clock starts. The floor for the import's writes.
* ``ed25519_baseline``: signatures/s of raw Ed25519 over the exact bytes issuance signs (the
  COSE ``Sig_structure`` around the canonical CBOR claims, built by ``signing_payloads`` with the
  project's own ``crypto`` functions). The floor for issuance's signing.
* ``rss_mib`` / ``peak_rss_mib`` / ``peak_rss_mib_of``: memory of this or another process.

Rows are the generator's (``bench/collection_data.py``, keyed by the Chinese headers) or API
records (``name``, ``idNumber``, ``level`` …). By hand, on a scratch database it creates with
``ecert migrate`` and drops afterwards::

    python bench/collection_baselines.py --scratch --rows 10000
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):  # run as a script: make the project and bench/ importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.canonical import CertificateClaims, encode_claims, new_cert_id
from crypto.keys import kid_for, public_key_bytes
from crypto.signing import protected_header, sig_structure
from schema.reference.catalog import Catalog, load_catalog
from schema.rules import RuleViolation, mask_id_number, normalize_approval_document
from schema.rules.certificate_number import format_system_number
from schema.rules.review_body import normalize_review_body
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR

try:
    from bench.collection_data import API_FIELDS
except ImportError:  # bench/ is not a package when run as a script
    from collection_data import API_FIELDS  # type: ignore[no-redef]

__all__ = [
    "PreparedRow",
    "copy_baseline",
    "ed25519_baseline",
    "peak_rss_mib",
    "peak_rss_mib_of",
    "prepare_rows",
    "reap_with_peak_rss_mib",
    "rss_mib",
    "signing_payloads",
]

SCRATCH_DB = "ecert_bench_scratch"
_AUDIT_ACTION = "registration.imported"


# ---------------------------------------------------------------------------------------------
# Rows → stored values (outside every timed section)
# ---------------------------------------------------------------------------------------------


def api_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A generator row (Chinese headers) or an API record, as API fields (blank → ``None``)."""
    if "公民身份号码" in row:
        return {api: (row.get(header) or None) for header, api in API_FIELDS.items()}
    return {k: (v if v not in ("", None) else None) for k, v in row.items()}


@dataclass(frozen=True)
class PreparedRow:
    """One row as the import would store it: registration columns, identity keys, audit JSON."""

    public_id: str
    holder_hmac: str
    values: dict[str, Any]  # registration column → value (no ``id``)
    keys: tuple[str, ...]
    audit_after: str  # the audit row's ``after`` (JSON text)


def _code(resolved: Any, text: str | None) -> str | None:
    return resolved.code if resolved is not None else text


def _stored_values(
    record: Mapping[str, Any], *, catalog: Catalog, hmac_key: bytes, now: datetime, index: int
) -> dict[str, Any]:
    """The registration columns for one record, resolved like the form stores them (codes,
    canonical approval document, full-width brackets) but without checking anything."""
    id_number = str(record.get("idNumber") or "").strip().upper()
    level = catalog.resolve_level(record["level"]) if record.get("level") else None
    series = catalog.resolve_series(record["series"]) if record.get("series") else None
    way = catalog.resolve_way(record["wayObtained"]) if record.get("wayObtained") else None
    scope_text = record.get("validityScope")
    scope = catalog.resolve_validity_scope(scope_text) if scope_text else None
    authority_text = record.get("authority")
    if level is not None and level.is_senior:
        authority = catalog.municipal_authority
    else:
        authority = catalog.resolve_authority(authority_text) if authority_text else None
    specialty_text = record.get("specialty")
    specialty = (
        catalog.specialty(series.code, specialty_text) if series and specialty_text else None
    )
    title = record.get("titleName")
    if series is not None and title:
        former = series.find_former_title(title)
        if former is not None:
            title = series.title(former.title).name
    document_raw = record.get("approvalDocument")
    document = document_raw
    if document_raw:
        try:
            document = normalize_approval_document(document_raw).normalized
        except RuleViolation:
            pass
    obtained = _date(record.get("obtainedOn"))
    review_body = record.get("reviewBody")
    photo = record.get("photo") or record.get("照片文件")
    missing = [
        name for name in ("approvalDocument", "reviewBody", "specialty") if not record.get(name)
    ]
    if not photo:
        missing.append("photo")
    return {
        "public_id": secrets.token_hex(12),
        "holder_id_hmac": hmac.new(hmac_key, id_number.encode(), hashlib.sha256).hexdigest(),
        "holder_name": "".join(str(record.get("name") or "").split()),
        "holder_id_masked": mask_id_number(id_number),
        "status": "INCOMPLETE",
        "source": "PAPER" if obtained and obtained.year < TITLE_SYSTEM_FROM_YEAR else "TITLE_SYSTEM",
        "level": _code(level, record.get("level")),
        "series_code": _code(series, record.get("series")),
        "title_name": title,
        "way_obtained": _code(way, record.get("wayObtained")),
        "specialty": _code(specialty, specialty_text),
        "local_specialty": record.get("localSpecialty"),
        "approval_document_raw": document_raw,
        "approval_document": document,
        "obtained_on": obtained,
        "issued_on": _date(record.get("issuedOn")),
        "certificate_number": record.get("certificateNumber"),
        "authority_code": _code(authority, authority_text),
        "review_body": normalize_review_body(review_body) if review_body else None,
        "validity_scope": _code(scope, scope_text),
        "batch_code": None,
        "employer_type": None,
        "photo_sha256": hashlib.sha256(str(photo).encode()).hexdigest() if photo else None,
        "missing": json.dumps(missing),
        "warnings": "[]",
        "return_reason_code": None,
        "return_note": None,
        "round": 0,
        "lock_version": 0,
        "created_at": now,
        "updated_at": now,
        "submitted_at": None,
        "decided_at": None,
        "applicant_id": None,
        "import_job_id": None,
        "import_row": index + 1,
        "incomplete_reason": "需上传电子照片" if not photo else None,
    }


def _date(text: Any) -> date | None:
    if isinstance(text, date):
        return text
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _identity_keys(values: Mapping[str, Any]) -> set[str]:
    """``N:<certificate number>`` and ``D:<approval document>|<level>|<specialty>`` (the
    project's ``identity_keys``; restated when the services package cannot be imported)."""
    try:
        from schema.services.registrations import identity_keys
    except Exception:
        keys: set[str] = set()
        if values.get("certificate_number"):
            keys.add(f"N:{values['certificate_number']}")
        specialty = values.get("local_specialty") or values.get("specialty")
        if values.get("approval_document") and values.get("level") and specialty:
            keys.add(f"D:{values['approval_document']}|{values['level']}|{specialty}")
        return keys
    return identity_keys(values)


def _audit_after(values: Mapping[str, Any]) -> str:
    """The audit row's ``after``, shaped as ``schema.services.collection_load`` writes it."""
    after = {
        "status": values["status"],
        "source": values["source"],
        "row": values["import_row"],
        "missing": json.loads(values["missing"]),
    }
    return json.dumps(after, separators=(",", ":"))


def prepare_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    catalog: Catalog | None = None,
    hmac_key: bytes | None = None,
    now: datetime | None = None,
) -> list[PreparedRow]:
    """Every value the COPY writes, computed up front.

    ``hmac_key`` defaults to a fresh random key, so the holders' keyed hashes differ from those
    the import wrote for the same people and the identity keys never collide with its rows. A
    row repeating an identity key of an earlier row (a duplicate) is left out, as the import
    refuses it.
    """
    catalog = catalog or load_catalog()
    hmac_key = hmac_key or os.urandom(32)
    now = now or datetime.now(UTC)
    prepared: list[PreparedRow] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        values = _stored_values(
            api_record(row), catalog=catalog, hmac_key=hmac_key, now=now, index=index
        )
        holder = values["holder_id_hmac"]
        keys = tuple(sorted(_identity_keys(values)))
        if any((holder, k) in seen for k in keys):
            continue
        seen.update((holder, k) for k in keys)
        prepared.append(
            PreparedRow(
                public_id=values["public_id"],
                holder_hmac=holder,
                values=values,
                keys=keys,
                audit_after=_audit_after(values),
            )
        )
    return prepared


# ---------------------------------------------------------------------------------------------
# 1. COPY baseline
# ---------------------------------------------------------------------------------------------


async def _table_columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, bool]]:
    """(column, required) in table order; required = NOT NULL without a default."""
    rows = await conn.fetch(
        "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL AS required "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    if not rows:
        raise RuntimeError(f"table {table!r} not found: run `ecert migrate` on this database")
    return [(r["column_name"], r["required"]) for r in rows]


def _copy_columns(table: str, db: list[tuple[str, bool]], known: Iterable[str]) -> list[str]:
    """The columns to COPY: the ones we have values for, in table order. A required column we
    know nothing about (the schema grew) stops the benchmark rather than failing the COPY."""
    have = set(known)
    unknown = [c for c, required in db if required and c not in have]
    if unknown:
        raise RuntimeError(f"{table}: no baseline value for required column(s) {unknown}")
    return [c for c, _ in db if c in have]


async def copy_baseline(
    dsn: str, rows: Sequence[Mapping[str, Any]], *, cleanup: bool = True
) -> float:
    """Rows/s of writing ``rows`` with binary COPY into registration, registration_key and
    audit_record, in one transaction; the ids come from the registration sequence in one
    ``nextval`` query (COPY cannot return them). Timed: the ids, the three COPYs and the commit;
    everything else (codes, keys, hashes, audit JSON) is prepared before. With ``cleanup`` the
    rows are deleted again afterwards (untimed), leaving the tables as they were."""
    prepared = prepare_rows(rows)
    if not prepared:
        return 0.0
    conn = await asyncpg.connect(dsn)
    try:
        reg_columns = _copy_columns(
            "registration",
            await _table_columns(conn, "registration"),
            ["id", *prepared[0].values],
        )
        key_columns = ["holder_id_hmac", "key", "registration_id"]
        _copy_columns(
            "registration_key", await _table_columns(conn, "registration_key"), ["id", *key_columns]
        )
        audit_columns = [
            "at", "actor_id", "actor_role", "action", "entity_type", "entity_id", "after", "note"
        ]  # fmt: skip
        _copy_columns(
            "audit_record", await _table_columns(conn, "audit_record"), ["id", *audit_columns]
        )
        value_columns = reg_columns[1:]
        reg_values = [tuple(p.values[c] for c in value_columns) for p in prepared]
        now = prepared[0].values["created_at"]
        note = f"import:{secrets.token_hex(12)}"
        audit_records = [
            (now, None, "IMPORTER", _AUDIT_ACTION, "registration", p.public_id, p.audit_after, note)
            for p in prepared
        ]
        n = len(prepared)

        started = time.perf_counter()
        async with conn.transaction():
            ids = [
                r[0]
                for r in await conn.fetch(
                    "SELECT nextval(pg_get_serial_sequence('registration', 'id')) "
                    "FROM generate_series(1, $1)",
                    n,
                )
            ]
            await conn.copy_records_to_table(
                "registration",
                records=[(rid, *vals) for rid, vals in zip(ids, reg_values, strict=True)],
                columns=reg_columns,
            )
            await conn.copy_records_to_table(
                "registration_key",
                records=[
                    (p.holder_hmac, key, rid)
                    for rid, p in zip(ids, prepared, strict=True)
                    for key in p.keys
                ],
                columns=key_columns,
            )
            await conn.copy_records_to_table(
                "audit_record", records=audit_records, columns=audit_columns
            )
        elapsed = time.perf_counter() - started

        if cleanup:
            async with conn.transaction():
                await conn.execute(
                    "DELETE FROM audit_record WHERE entity_type = 'registration' "
                    "AND entity_id = ANY($1::text[])",
                    [p.public_id for p in prepared],
                )
                await conn.execute(
                    "DELETE FROM registration_key WHERE registration_id = ANY($1::int[])", ids
                )
                await conn.execute("DELETE FROM registration WHERE id = ANY($1::int[])", ids)
    finally:
        await conn.close()
    return n / elapsed


# ---------------------------------------------------------------------------------------------
# 2. Ed25519 baseline
# ---------------------------------------------------------------------------------------------


def signing_payloads(
    rows: Iterable[Mapping[str, Any]],
    *,
    catalog: Catalog | None = None,
    kid: str | None = None,
    signed_at: datetime | None = None,
) -> list[bytes]:
    """The exact bytes issuance signs for each row: ``Sig_structure(protected(kid),
    encode_claims(claims))``, with claims filled as ``approve_registration`` fills them (current
    title name, specialty text, system number for 2021+ titles, provenance)."""
    catalog = catalog or load_catalog()
    kid = kid or kid_for(public_key_bytes(Ed25519PrivateKey.generate()))
    protected = protected_header(kid)
    signed_at = (signed_at or datetime.now(UTC)).replace(microsecond=0)
    payloads: list[bytes] = []
    sequence: dict[tuple[int, str], int] = {}
    for index, row in enumerate(prepare_rows(rows, catalog=catalog, now=signed_at)):
        v = row.values
        level = v["level"] if v["level"] in {lv.code for lv in catalog.levels} else "ZHONG"
        obtained = v["obtained_on"] or date(2023, 6, 30)
        issued = v["issued_on"] or obtained
        if obtained.year >= TITLE_SYSTEM_FROM_YEAR:
            seq = sequence[(obtained.year, level)] = sequence.get((obtained.year, level), 0) + 1
            number = format_system_number(obtained.year, level, seq, catalog=catalog)
            provenance = "NATIVE"
        else:
            number = v["certificate_number"] or f"0113{index:08d}"
            provenance = "PAPER"
        specialty = v["local_specialty"] or ""
        if not specialty and v["specialty"] and v["series_code"]:
            try:
                found = catalog.specialty(v["series_code"], v["specialty"])
            except LookupError:
                found = None
            specialty = found.name if found else v["specialty"]
        claims = CertificateClaims(
            cert_id=new_cert_id(),
            version=1,
            holder_name=v["holder_name"] or "张三",
            holder_id_masked=v["holder_id_masked"],
            level=level,
            series_code=v["series_code"] or "",
            title_name=v["title_name"] or "工程师",
            specialty=specialty,
            authority_code=v["authority_code"] or "MUNICIPAL",
            review_body=v["review_body"] or "",
            obtained_on=obtained,
            issued_on=issued,
            number=number,
            provenance=provenance,
            signed_at=signed_at,
        )
        payloads.append(sig_structure(protected, encode_claims(claims)))
    return payloads


def ed25519_baseline(payloads: Sequence[bytes]) -> float:
    """Signatures/s of ``Ed25519PrivateKey.sign`` over ``payloads`` (one key, loaded once)."""
    if not payloads:
        return 0.0
    key = Ed25519PrivateKey.generate()
    sign = key.sign
    started = time.perf_counter()
    for payload in payloads:
        sign(payload)
    return len(payloads) / (time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# 3. Memory
# ---------------------------------------------------------------------------------------------


def _status_kib(pid: int | str, *fields: str) -> int:
    """The first of ``fields`` present in /proc/<pid>/status, in KiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    found: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in fields:
            found[name] = int(rest.split()[0])
    for name in fields:
        if name in found:
            return found[name]
    raise LookupError(f"/proc/{pid}/status has none of {fields}")


def rss_mib() -> float:
    """Resident memory of this process now (VmRSS), in MiB."""
    return _status_kib("self", "VmRSS") / 1024


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (VmHWM), in MiB."""
    return _status_kib("self", "VmHWM", "VmRSS") / 1024


def peak_rss_mib_of(pid: int) -> float:
    """Peak resident memory (VmHWM, else VmRSS) of a running process, in MiB; read it before
    the process is reaped (``FileNotFoundError`` afterwards)."""
    return _status_kib(pid, "VmHWM", "VmRSS") / 1024


def reap_with_peak_rss_mib(pid: int) -> tuple[int, float]:
    """Wait for a child process; returns its exit status and its peak resident memory in MiB
    (``ru_maxrss`` from ``wait4``: works after the child has exited, unlike /proc)."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# By hand
# ---------------------------------------------------------------------------------------------


def _with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _create_scratch(server: str) -> str:
    admin = await asyncpg.connect(_with_database(server, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}"')
        await admin.execute(f'CREATE DATABASE "{SCRATCH_DB}"')
    finally:
        await admin.close()
    dsn = _with_database(server, SCRATCH_DB)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "ECERT_DATABASE_URL": dsn, "ECERT_DATA_DIR": data_dir}
        ecert = Path(sys.executable).with_name("ecert")
        process = await asyncio.create_subprocess_exec(
            str(ecert), "migrate", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        if await process.wait() != 0:
            raise RuntimeError(f"ecert migrate failed on {SCRATCH_DB}")
    return dsn


async def _drop_scratch(server: str) -> None:
    admin = await asyncpg.connect(_with_database(server, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
    finally:
        await admin.close()


async def _main(args: argparse.Namespace) -> None:
    try:
        from bench.collection_data import generate
    except ImportError:
        from collection_data import generate  # type: ignore[no-redef]

    data = generate(args.kind, args.rows, args.seed, 0.0)
    rows = list(data.rows())
    dsn = await _create_scratch(args.server) if args.scratch else args.dsn
    try:
        for attempt in range(args.repeat):
            rate = await copy_baseline(dsn, rows)
            print(f"copy_baseline    {len(rows)} rows: {rate:,.0f} rows/s (run {attempt + 1})")
        payloads = signing_payloads(rows)
        sizes = sorted(len(p) for p in payloads)
        print(
            f"payloads         {len(payloads)}: {sizes[0]}–{sizes[-1]} bytes "
            f"(median {sizes[len(sizes) // 2]})"
        )
        print(f"ed25519_baseline {ed25519_baseline(payloads):,.0f} signatures/s")
        print(f"rss              {rss_mib():.1f} MiB now, {peak_rss_mib():.1f} MiB peak")
    finally:
        if args.scratch:
            await _drop_scratch(args.server)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--kind", default="title-system")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dsn", help="a migrated database (otherwise use --scratch)")
    parser.add_argument(
        "--scratch",
        action="store_true",
        help=f"create {SCRATCH_DB} on --server, migrate it, drop it at the end",
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    args = parser.parse_args(argv)
    if not args.scratch and not args.dsn:
        parser.error("give --dsn or --scratch")
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
