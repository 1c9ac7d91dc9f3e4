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

from schema.models import (
    Account,
    AuditRecord,
    ImportIssue,
    ImportJob,
    ImportOutcome,
    IssuedNumber,
    Registration,
    RegistrationKey,
    RegistrationStatus,
)
from schema.reference.catalog import Catalog
from schema.services.collection_rows import Candidate, RowRefusal
from schema.services.issuance import CertificateContent, Issuer, provenance_for
from schema.services.numbering import allocate_system_numbers
from schema.services.review import specialty_text
from schema.storage import BlobStore

__all__ = ["ChunkContext", "ChunkCounts", "LeaseLost", "write_chunk"]

_BATCH = 200  # rows per INSERT statement (well under both backends' parameter limits)


class LeaseLost(Exception):
    """Another worker owns the job now (this one was too slow or presumed dead)."""


@dataclass
class ChunkCounts:
    created: int = 0
    issued: int = 0
    incomplete: int = 0
    existing: int = 0
    refused: int = 0
    issues: list[ImportIssue] = field(default_factory=list)


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


def _refused(ctx: ChunkContext, refusal: RowRefusal) -> list[ImportIssue]:
    return [
        ImportIssue(
            job_id=ctx.job.id,
            row=refusal.row,
            column=_column(ctx, p.field),
            outcome=ImportOutcome.REFUSED,
            code=p.code,
            message=p.message,
        )
        for p in refusal.problems
    ]


async def _existing(
    candidates: Sequence[Candidate], conn: BaseDBAsyncClient
) -> dict[tuple[str, str], Registration]:
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
    regs = {
        r.id: r
        for r in await Registration.filter(id__in=list({row[2] for row in found}))
        .using_db(conn)
        .only("id", "public_id", "import_job_id", "import_row", "status")
    }
    return {(h, k): regs[rid] for h, k, rid in found}


def _existing_issue(ctx: ChunkContext, cand: Candidate, other: Registration) -> ImportIssue:
    if other.import_job_id == ctx.job.id and other.import_row is not None:
        message = f"与本文件第{other.import_row}行为同一证书，已按第{other.import_row}行导入"
        code = "IMPORT_DUPLICATE_ROW"
    elif other.status is RegistrationStatus.INCOMPLETE:
        message = "该证书已有待完善记录，未重复导入"
        code = "IMPORT_ALREADY_LOADED"
    else:
        message = "该证书已有登记记录，未重复导入"
        code = "IMPORT_ALREADY_REGISTERED"
    return ImportIssue(
        job_id=ctx.job.id,
        row=cand.row,
        column=None,
        outcome=ImportOutcome.EXISTING,
        code=code,
        message=message,
        ref=other.public_id,
    )


def _registration(
    ctx: ChunkContext, cand: Candidate, account_id: int | None, now: datetime
) -> Registration:
    issued = cand.issue
    return Registration(
        public_id=cand.public_id,
        applicant_id=account_id,
        holder_id_hmac=cand.holder_hmac,
        holder_name=cand.holder_name,
        holder_id_masked=cand.holder_masked,
        status=RegistrationStatus.APPROVED if issued else RegistrationStatus.INCOMPLETE,
        missing=[] if issued else cand.missing,
        incomplete_reason=None if issued else cand.incomplete_reason,
        warnings=[],
        photo_sha256=cand.photo_sha256,
        import_job_id=ctx.job.id,
        import_row=cand.row,
        created_at=now,
        updated_at=now,
        decided_at=now if issued else None,
        **cand.values,
    )


def _audit(
    ctx: ChunkContext,
    action: str,
    entity_type: str,
    entity_id: str,
    after: dict[str, Any],
    now: datetime,
) -> AuditRecord:
    return AuditRecord(
        at=now,
        actor_id=ctx.job.created_by_id,
        actor_role=ctx.job.created_by_role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        note=f"import:{ctx.job.public_id}",
    )


async def _issue(
    ctx: ChunkContext,
    issued: Sequence[tuple[Candidate, Registration]],
    now: datetime,
    conn: BaseDBAsyncClient,
) -> list[AuditRecord]:
    """Number, sign and store the certificates of title-system results with good photos."""
    by_series: dict[tuple[int, str], list[tuple[Candidate, Registration]]] = {}
    for cand, reg in issued:
        assert reg.obtained_on is not None and reg.level is not None
        by_series.setdefault((reg.obtained_on.year, reg.level), []).append((cand, reg))
    items: list[tuple[int, CertificateContent]] = []
    for (year, level), group in sorted(by_series.items()):
        numbers = await allocate_system_numbers(
            year=year, level_code=level, count=len(group), catalog=ctx.catalog, conn=conn
        )
        for (_, reg), number in zip(group, numbers, strict=True):
            assert reg.obtained_on is not None and reg.issued_on is not None
            items.append(
                (
                    reg.id,
                    CertificateContent(
                        holder_name=reg.holder_name,
                        holder_id_masked=reg.holder_id_masked,
                        holder_id_hmac=reg.holder_id_hmac,
                        holder_account_id=reg.applicant_id,
                        number=number,
                        level=reg.level or "",
                        series_code=reg.series_code or "",
                        title_name=reg.title_name or "",
                        way_obtained=reg.way_obtained or "",
                        specialty=specialty_text(
                            reg.specialty, reg.local_specialty, reg.series_code, ctx.catalog
                        ),
                        approval_document=reg.approval_document or "",
                        obtained_on=reg.obtained_on,
                        issued_on=reg.issued_on,
                        authority_code=reg.authority_code or "",
                        review_body=reg.review_body or "",
                        validity_scope=reg.validity_scope or "",
                        provenance=provenance_for(reg.source),
                        photo_sha256=reg.photo_sha256,
                    ),
                )
            )
    certs = await ctx.issuer.issue_many(items, now=now, conn=conn)
    await IssuedNumber.bulk_create(
        [IssuedNumber(number=c.number, lineage_id=c.lineage_id) for c in certs],
        batch_size=_BATCH,
        using_db=conn,
    )
    reg_ids = {reg.id: reg.public_id for _, reg in issued}
    return [
        _audit(
            ctx,
            "certificate.issued",
            "certificate",
            c.cert_id,
            {
                "number": c.number,
                "version": 1,
                "kid": c.kid,
                "registration": reg_ids[c.registration_id],  # type: ignore[attr-defined]
                "automatic": True,
            },
            now,
        )
        for c in certs
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
        held = next(
            (
                existing[(cand.holder_hmac, k)]
                for k in cand.keys
                if (cand.holder_hmac, k) in existing
            ),
            None,
        )
        earlier = next(
            (
                first_in_chunk[(cand.holder_hmac, k)]
                for k in cand.keys
                if (cand.holder_hmac, k) in first_in_chunk
            ),
            None,
        )
        if held is not None:
            counts.issues.append(_existing_issue(ctx, cand, held))
            counts.existing += 1
        elif earlier is not None:
            stub = Registration(
                public_id=earlier.public_id, import_job_id=ctx.job.id, import_row=earlier.row
            )
            counts.issues.append(_existing_issue(ctx, cand, stub))
            counts.existing += 1
        else:
            accepted.append(cand)
            for k in cand.keys:
                first_in_chunk[(cand.holder_hmac, k)] = cand
    accounts = (
        dict(
            await Account.filter(id_number_hmac__in=list({c.holder_hmac for c in accepted}))
            .using_db(conn)
            .values_list("id_number_hmac", "id")
        )
        if accepted
        else {}
    )
    regs = [_registration(ctx, c, accounts.get(c.holder_hmac), now) for c in accepted]
    audits: list[AuditRecord] = []
    if regs:
        await Registration.bulk_create(regs, batch_size=_BATCH, using_db=conn)
        ids = dict(
            await Registration.filter(public_id__in=[r.public_id for r in regs])
            .using_db(conn)
            .values_list("public_id", "id")
        )
        for reg in regs:
            reg.id = ids[reg.public_id]
        await RegistrationKey.bulk_create(
            [
                RegistrationKey(holder_id_hmac=c.holder_hmac, key=k, registration_id=reg.id)
                for c, reg in zip(accepted, regs, strict=True)
                for k in c.keys
            ],
            batch_size=_BATCH,
            using_db=conn,
        )
        for cand, reg in zip(accepted, regs, strict=True):
            after = {
                "status": reg.status.value,
                "source": reg.source,
                "row": cand.row,
                "missing": reg.missing,
            }
            audits.append(
                _audit(ctx, "registration.imported", "registration", reg.public_id, after, now)
            )
        issued = [(c, r) for c, r in zip(accepted, regs, strict=True) if c.issue]
        if issued:
            audits.extend(await _issue(ctx, issued, now, conn))
        counts.issued = len(issued)
        counts.created = len(regs)
        counts.incomplete = len(regs) - len(issued)
    if audits:
        await AuditRecord.bulk_create(audits, batch_size=_BATCH, using_db=conn)
    if counts.issues:
        await ImportIssue.bulk_create(counts.issues, batch_size=_BATCH, using_db=conn)
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
