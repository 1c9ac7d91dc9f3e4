"""Writing one chunk of a collection job: records, keys, certificates, report rows and the
job's progress, in one transaction.

The job row's ``processed_through`` moves in the same transaction as the rows it covers,
and only if it still holds the value the worker started from under the worker's lease: a
worker killed half-way leaves either the whole chunk or none of it, and a second worker
can never write a chunk twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schema.enums import AuditAction
from schema.models import (
    Account,
    ImportJob,
    ImportOutcome,
    Registration,
    RegistrationKey,
    RegistrationStatus,
)
from schema.reference.catalog import Catalog
from schema.services.audit import append_audit_rows
from schema.services.bulk_write import allocate_ids, insert_rows
from schema.services.collection_rows import Candidate, RowRefusal
from schema.services.issuance import CertificateContent, Issuer, provenance_for
from schema.services.numbering import allocate_system_numbers
from schema.services.review import specialty_text
from schema.storage import BlobStore

__all__ = ["ChunkContext", "ChunkCounts", "LeaseLost", "write_chunk"]


class LeaseLost(Exception):
    """Another worker owns the job now (this one was too slow or presumed dead)."""


_ISSUE_COLUMNS = ("job_id", "row", "column", "outcome", "code", "message", "ref")
_AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "note",
    "request_id",
)
_VALUE_COLUMNS = (
    "source",
    "level",
    "series_code",
    "title_name",
    "way_obtained",
    "specialty",
    "local_specialty",
    "approval_document_raw",
    "approval_document",
    "obtained_on",
    "issued_on",
    "certificate_number",
    "authority_code",
    "review_body",
    "validity_scope",
    "batch_code",
    "employer_type",
)
_REGISTRATION_COLUMNS = (
    "id",
    "public_id",
    "applicant_id",
    "holder_id_hmac",
    "holder_name",
    "holder_id_masked",
    "status",
    *_VALUE_COLUMNS,
    "photo_sha256",
    "missing",
    "warnings",
    "incomplete_reason",
    "import_job_id",
    "import_row",
    "round",
    "lock_version",
    "created_at",
    "updated_at",
    "decided_at",
)
_KEY_COLUMNS = ("holder_id_hmac", "key", "registration_id")

Row = tuple[Any, ...]


@dataclass
class ChunkCounts:
    created: int = 0
    issued: int = 0
    incomplete: int = 0
    existing: int = 0
    refused: int = 0
    issues: list[Row] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ChunkContext:
    job: ImportJob
    owner: str
    headers: Mapping[str, str]  # API field → header as written in the file
    labels: Mapping[str, str]  # API field → Chinese label (when the file has no such column)
    catalog: Catalog
    issuer: Issuer
    store: BlobStore
    lease: timedelta


def _column(ctx: ChunkContext, problem_field: str | None) -> str | None:
    if problem_field is None:
        return None
    return ctx.headers.get(problem_field) or ctx.labels.get(problem_field) or problem_field


def _refused(ctx: ChunkContext, refusal: RowRefusal) -> list[Row]:
    return [
        (
            ctx.job.id,
            refusal.row,
            _column(ctx, p.field),
            ImportOutcome.REFUSED.value,
            p.code,
            p.message,
            None,
        )
        for p in refusal.problems
    ]


@dataclass(frozen=True)
class _Held:
    """The record that already holds a key: what the report says about it."""

    public_id: str
    import_job_id: int | None
    import_row: int | None
    status: RegistrationStatus


async def _existing(
    candidates: Sequence[Candidate], conn: BaseDBAsyncClient
) -> dict[tuple[str, str], _Held]:
    """Every (holder, key) of the chunk already on record, with its registration."""
    holders = list({c.holder_hmac for c in candidates})
    keys = list({k for c in candidates for k in c.keys})
    if not holders:
        return {}
    found = await (
        RegistrationKey.filter(holder_id_hmac__in=holders, key__in=keys)
        .using_db(conn)
        .values_list("holder_id_hmac", "key", "registration_id")
    )
    if not found:
        return {}
    regs = {
        r[0]: _Held(r[1], r[2], r[3], RegistrationStatus(r[4]))
        for r in await Registration.filter(id__in=list({row[2] for row in found}))
        .using_db(conn)
        .values_list("id", "public_id", "import_job_id", "import_row", "status")
    }
    return {(h, k): regs[rid] for h, k, rid in found}


def _existing_issue(ctx: ChunkContext, cand: Candidate, other: _Held) -> Row:
    if other.import_job_id == ctx.job.id and other.import_row is not None:
        message = f"与本文件第{other.import_row}行为同一证书，已按第{other.import_row}行导入"
        code = "IMPORT_DUPLICATE_ROW"
    elif other.status is RegistrationStatus.INCOMPLETE:
        message = "该证书已有待完善记录，未重复导入"
        code = "IMPORT_ALREADY_LOADED"
    else:
        message = "该证书已有登记记录，未重复导入"
        code = "IMPORT_ALREADY_REGISTERED"
    return (
        ctx.job.id,
        cand.row,
        None,
        ImportOutcome.EXISTING.value,
        code,
        message,
        other.public_id,
    )


def _registration_row(
    ctx: ChunkContext, cand: Candidate, reg_id: int, account_id: int | None, now: datetime
) -> Row:
    issued = cand.issue
    status = RegistrationStatus.APPROVED if issued else RegistrationStatus.INCOMPLETE
    return (
        reg_id,
        cand.public_id,
        account_id,
        cand.holder_hmac,
        cand.holder_name,
        cand.holder_masked,
        status.value,
        *(cand.values.get(c) for c in _VALUE_COLUMNS),
        cand.photo_sha256,
        [] if issued else cand.missing,
        [],
        None if issued else cand.incomplete_reason,
        ctx.job.id,
        cand.row,
        0,
        0,
        now,
        now,
        now if issued else None,
    )


def _audit(
    ctx: ChunkContext,
    action: AuditAction,
    entity_type: str,
    entity_id: str,
    after: dict[str, Any],
    now: datetime,
) -> Row:
    return (
        now,
        ctx.job.created_by_id,
        ctx.job.created_by_role.value if ctx.job.created_by_role else None,
        action.value,
        entity_type,
        entity_id,
        None,
        after,
        f"import:{ctx.job.public_id}",
        None,
    )


def _content(
    ctx: ChunkContext, cand: Candidate, account_id: int | None, number: str
) -> CertificateContent:
    v = cand.values
    return CertificateContent(
        holder_name=cand.holder_name,
        holder_id_masked=cand.holder_masked,
        holder_id_hmac=cand.holder_hmac,
        holder_account_id=account_id,
        number=number,
        level=v["level"],
        series_code=v.get("series_code") or "",
        title_name=v.get("title_name") or "",
        way_obtained=v.get("way_obtained") or "",
        specialty=specialty_text(
            v.get("specialty"), v.get("local_specialty"), v.get("series_code"), ctx.catalog
        ),
        approval_document=v.get("approval_document") or "",
        obtained_on=v["obtained_on"],
        issued_on=v["issued_on"],
        authority_code=v.get("authority_code") or "",
        review_body=v.get("review_body") or "",
        validity_scope=v.get("validity_scope") or "",
        provenance=provenance_for(v.get("source")),
        photo_sha256=cand.photo_sha256,
    )


async def _issue(
    ctx: ChunkContext,
    issued: Sequence[tuple[Candidate, int, int | None]],
    now: datetime,
    conn: BaseDBAsyncClient,
) -> list[Row]:
    """Number, sign and store the certificates of title-system results with good photos."""
    by_series: dict[tuple[int, str], list[tuple[Candidate, int, int | None]]] = {}
    for item in issued:
        values = item[0].values
        by_series.setdefault((values["obtained_on"].year, values["level"]), []).append(item)
    items: list[tuple[int, CertificateContent]] = []
    public_ids: dict[int, str] = {}
    for (year, level), group in sorted(by_series.items()):
        numbers = await allocate_system_numbers(
            year=year, level_code=level, count=len(group), catalog=ctx.catalog, conn=conn
        )
        for (cand, reg_id, account_id), number in zip(group, numbers, strict=True):
            items.append((reg_id, _content(ctx, cand, account_id, number)))
            public_ids[reg_id] = cand.public_id
    certs = await ctx.issuer.issue_many(items, now=now, conn=conn)
    await insert_rows(
        conn, "issued_number", ("number", "lineage_id"), [(c.number, c.lineage_id) for c in certs]
    )
    return [
        _audit(
            ctx,
            AuditAction.CERTIFICATE_ISSUED,
            "certificate",
            c.cert_id,
            {
                "number": c.number,
                "version": 1,
                "kid": c.kid,
                "registration": public_ids[reg_id],
                "automatic": True,
            },
            now,
        )
        for c, (reg_id, _) in zip(certs, items, strict=True)
    ]


async def _write(
    ctx: ChunkContext,
    results: Sequence[Candidate | RowRefusal],
    *,
    start_after: int,
    through: int,
    now: datetime,
    conn: BaseDBAsyncClient,
) -> ChunkCounts:
    counts = ChunkCounts()
    candidates = [r for r in results if isinstance(r, Candidate)]
    for r in results:
        if isinstance(r, RowRefusal):
            counts.issues.extend(_refused(ctx, r))
            counts.refused += 1
    existing = await _existing(candidates, conn)
    accepted: list[Candidate] = []
    first_in_chunk: dict[tuple[str, str], Candidate] = {}
    for cand in candidates:
        pairs = [(cand.holder_hmac, k) for k in cand.keys]
        held = next((existing[p] for p in pairs if p in existing), None)
        earlier = next((first_in_chunk[p] for p in pairs if p in first_in_chunk), None)
        if held is None and earlier is not None:
            held = _Held(earlier.public_id, ctx.job.id, earlier.row, RegistrationStatus.INCOMPLETE)
        if held is not None:
            counts.issues.append(_existing_issue(ctx, cand, held))
            counts.existing += 1
            continue
        accepted.append(cand)
        for p in pairs:
            first_in_chunk[p] = cand
    audits: list[Row] = []
    if accepted:
        accounts = dict(
            await Account.filter(id_number_hmac__in=list({c.holder_hmac for c in accepted}))
            .using_db(conn)
            .values_list("id_number_hmac", "id")
        )
        ids = await allocate_ids(conn, "registration", len(accepted))
        owners = [accounts.get(c.holder_hmac) for c in accepted]
        await insert_rows(
            conn,
            "registration",
            _REGISTRATION_COLUMNS,
            [
                _registration_row(ctx, c, reg_id, owner, now)
                for c, reg_id, owner in zip(accepted, ids, owners, strict=True)
            ],
        )
        await insert_rows(
            conn,
            "registration_key",
            _KEY_COLUMNS,
            [
                (c.holder_hmac, k, reg_id)
                for c, reg_id in zip(accepted, ids, strict=True)
                for k in c.keys
            ],
        )
        for cand in accepted:
            status = RegistrationStatus.APPROVED if cand.issue else RegistrationStatus.INCOMPLETE
            after = {
                "status": status.value,
                "source": cand.values.get("source"),
                "row": cand.row,
                "missing": [] if cand.issue else cand.missing,
            }
            audits.append(
                _audit(
                    ctx,
                    AuditAction.REGISTRATION_IMPORTED,
                    "registration",
                    cand.public_id,
                    after,
                    now,
                )
            )
        issued = [
            (c, reg_id, owner)
            for c, reg_id, owner in zip(accepted, ids, owners, strict=True)
            if c.issue
        ]
        if issued:
            audits.extend(await _issue(ctx, issued, now, conn))
        counts.issued = len(issued)
        counts.created = len(accepted)
        counts.incomplete = len(accepted) - len(issued)
    await append_audit_rows(conn, _AUDIT_COLUMNS, audits)
    await insert_rows(conn, "import_issue", _ISSUE_COLUMNS, counts.issues)
    moved = await (
        ImportJob.filter(id=ctx.job.id, lease_owner=ctx.owner, processed_through=start_after)
        .using_db(conn)
        .update(
            processed_through=through,
            rows_done=F("rows_done") + len(results),
            created_count=F("created_count") + counts.created,
            issued_count=F("issued_count") + counts.issued,
            incomplete_count=F("incomplete_count") + counts.incomplete,
            existing_count=F("existing_count") + counts.existing,
            refused_count=F("refused_count") + counts.refused,
            lease_expires_at=now + ctx.lease,
            progressed_at=now,
        )
    )
    if not moved:
        raise LeaseLost(ctx.job.public_id)
    return counts


async def write_chunk(
    ctx: ChunkContext,
    results: Sequence[Candidate | RowRefusal],
    *,
    start_after: int,
    through: int,
    now: datetime,
) -> ChunkCounts:
    """Store one chunk's outcome and move the job past row ``through``, all or nothing.

    Photos go to the blob store first (content-addressed: an orphan blob is harmless, a
    missing one is not). A key claimed meanwhile by a hand registration makes the unique
    index refuse; the chunk is then retried once, when the re-check reports that row.
    """
    for cand in results:
        if isinstance(cand, Candidate) and cand.photo is not None:
            await ctx.store.put(cand.photo)
    for attempt in range(3):
        try:
            async with in_transaction() as conn:
                return await _write(
                    ctx, results, start_after=start_after, through=through, now=now, conn=conn
                )
        except IntegrityError:
            if attempt == 2:
                raise
            for cand in results:
                if isinstance(cand, Candidate):
                    cand.public_id = secrets.token_hex(12)
    raise AssertionError("unreachable")
