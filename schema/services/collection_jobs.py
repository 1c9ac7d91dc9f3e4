"""Collection jobs (历史数据归集): create from an upload, run chunk by chunk, report.

A job is created by an importer (GraphQL upload or ``ecert import``) with its file and
photo archive in the blob store, then run by whichever worker claims it: the queue's
worker on PostgreSQL, the in-process worker on SQLite, or the CLI itself. A claim is a
lease on the job row; each chunk renews it and commits its rows together with the job's
progress (``collection_load``), so a worker killed half-way is taken over when its lease
runs out and the job finishes with each good row loaded exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tortoise.expressions import F, Q

from schema.actor import Actor
from schema.collection.report_files import ReportLine
from schema.collection.templates import REQUIRED_FIELDS, TemplateKind
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, NotFound
from schema.models import ImportIssue, ImportJob, ImportKind, ImportOutcome, ImportStatus
from schema.pii import PiiProtector
from schema.reference.catalog import Catalog
from schema.services.audit import write_audit
from schema.services.collection_load import ChunkContext, LeaseLost, write_chunk
from schema.services.collection_rows import LABELS
from schema.services.issuance import Issuer
from schema.services.keys import get_by_key
from schema.services.paging import Page, keyset_page
from schema.services.reference import catalog_documents
from schema.storage import BlobStore

if TYPE_CHECKING:
    from schema.collection.files import FileNote
    from schema.services.collection_reader import RowReader

# The file readers (schema.collection.files with csv, zipfile and python_calamine; the photo
# archive; schema.services.collection_reader) are imported where a file is checked or a job
# read: the web app imports this module with its GraphQL schema.

__all__ = [
    "Collector",
    "JobProgress",
    "claimable_jobs",
    "create_import_job",
    "get_import_job",
    "import_report",
    "list_import_jobs",
    "progress_of",
    "report_size",
    "run_import_job",
]

_log = logging.getLogger(__name__)
JOBS_CURSOR = "ij"
MAX_ATTEMPTS = 5
_NAME_LIMIT = 255


@dataclass(frozen=True, kw_only=True)
class Collector:
    """What running a job needs (built once per process from the settings)."""

    pii: PiiProtector
    store: BlobStore
    issuer: Issuer
    lease: timedelta = timedelta(seconds=60)
    chunk_rows: int = 1000
    # Files with at least this many rows left are read and checked in a child process.
    process_rows: int = 5_000


@dataclass(frozen=True)
class JobProgress:
    rows_per_second: float | None
    eta_seconds: float | None
    percent: float | None


def progress_of(job: ImportJob, *, now: datetime) -> JobProgress:
    """Rate over the time the job has been running, and what remains at that rate."""
    percent = None
    if job.total_rows:
        percent = min(100.0, 100.0 * job.rows_done / job.total_rows)
    if job.status is ImportStatus.DONE:
        percent = 100.0
    if job.started_at is None or not job.rows_done:
        return JobProgress(None, None, percent)
    end = job.finished_at or job.progressed_at or now
    elapsed = max((end - job.started_at).total_seconds(), 1e-3)
    rate = job.rows_done / elapsed
    eta = None
    if job.status is ImportStatus.RUNNING and job.total_rows is not None:
        eta = max(job.total_rows - job.rows_done, 0) / rate if rate else None
    return JobProgress(rate, eta, percent)


def _require_importer(actor: Actor) -> None:
    if actor.role not in (Role.IMPORTER, Role.ADMIN):
        raise Forbidden("只有数据归集人员可以导入数据")


def _file_name(name: str, field: str) -> str:
    clean = Path(name.replace("\\", "/")).name.strip()
    if not clean or len(clean) > _NAME_LIMIT:
        raise InvalidInput.one("IMPORT_FILE_NAME", "文件名不能为空且不超过255个字符", field)
    return clean


async def _put(store: BlobStore, source: Path | bytes) -> str:
    if isinstance(source, Path):
        return await store.put_file(source)
    return await store.put(source)


def _check_file(path: Path, file_name: str, kind: ImportKind) -> None:
    from schema.collection.files import FileRefused, open_collection_file

    try:
        source = open_collection_file(path, filename=file_name)
    except FileRefused as exc:
        raise InvalidInput.one(exc.code, exc.message, "file") from None
    try:
        missing = [
            f for f in REQUIRED_FIELDS[cast(TemplateKind, kind.value)] if f not in source.headers
        ]
    finally:
        source.close()
    if missing:
        # Title-system results are issued without review: every column must be there.
        names = "、".join(LABELS.get(f, f) for f in missing)
        raise InvalidInput.one("IMPORT_COLUMN_MISSING", f"文件缺少以下列：{names}", "file")


def _check_photos(path: Path) -> None:
    from schema.collection.files import FileRefused
    from schema.collection.photo_archive import PhotoArchive

    try:
        PhotoArchive.open(path).close()
    except FileRefused as exc:
        raise InvalidInput.one(exc.code, exc.message, "photos") from None


async def create_import_job(
    *,
    actor: Actor,
    kind: ImportKind,
    file_name: str,
    file: Path | bytes,
    store: BlobStore,
    now: datetime,
    photos_name: str | None = None,
    photos: Path | bytes | None = None,
) -> ImportJob:
    """Store the upload and queue a job for it; the file's shape (format, encoding, required
    headers) is checked here, so a file that can never load is refused at once."""
    _require_importer(actor)
    name = _file_name(file_name, "file")
    file_key = await _put(store, file)
    await asyncio.to_thread(_check_file, store.local_path(file_key), name, kind)
    photos_key = None
    if photos is not None:
        photos_name = _file_name(photos_name or "photos.zip", "photos")
        photos_key = await _put(store, photos)
        await asyncio.to_thread(_check_photos, store.local_path(photos_key))
    job = await ImportJob.create(
        public_id=secrets.token_hex(12),
        kind=kind,
        status=ImportStatus.QUEUED,
        file_name=name,
        file_sha256=file_key,
        photos_name=photos_name if photos_key else None,
        photos_sha256=photos_key,
        created_by_id=actor.account_id,
        created_by_role=actor.role,
        created_at=now,
    )
    await write_audit(
        actor=actor,
        action=AuditAction.IMPORT_CREATED,
        entity_type="import_job",
        entity_id=job.public_id,
        now=now,
        after={"kind": kind.value, "file": name, "sha256": file_key, "photos": photos_key},
    )
    return job


def _visible(actor: Actor) -> Q:
    _require_importer(actor)
    if actor.role is Role.ADMIN:
        return Q()
    return Q(created_by_id=actor.account_id)


async def get_import_job(*, actor: Actor, job_id: str) -> ImportJob:
    job = await get_by_key(ImportJob.filter(_visible(actor)), public_id=job_id)
    if job is None:
        raise NotFound("导入任务不存在", code="IMPORT_JOB_NOT_FOUND", field="id")
    return job


async def list_import_jobs(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[ImportJob]:
    """The actor's jobs (an admin: everyone's), newest first."""
    query = ImportJob.filter(_visible(actor))
    return await keyset_page(query, kind=JOBS_CURSOR, first=first, after=after, newest_first=True)


async def import_report(
    *, actor: Actor, job_id: str, limit: int | None = None
) -> tuple[ImportJob, list[ReportLine]]:
    """The job's notes, then every refused row and every row already on record, in file
    order (``limit``: at most that many lines, for a screen; downloads take them all)."""
    job = await get_import_job(actor=actor, job_id=job_id)
    query = ImportIssue.filter(job_id=job.id).order_by("row", "id")
    if limit is not None:
        query = query.limit(limit)
    lines = [
        ReportLine(
            row=i.row,
            column=i.column,
            outcome=i.outcome,
            code=i.code,
            message=i.message,
            ref=i.ref,
        )
        for i in await query
    ]
    lines.sort(key=lambda line: (line.row is not None, line.row or 0))
    return job, lines


async def report_size(*, actor: Actor, job_id: str) -> int:
    """How many lines the job's full report has."""
    job = await get_import_job(actor=actor, job_id=job_id)
    return await ImportIssue.filter(job_id=job.id).count()


async def claimable_jobs(*, now: datetime) -> list[str]:
    """Jobs waiting for a worker: queued, or running under a lease that ran out."""
    rows = (
        await ImportJob.filter(
            Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, lease_expires_at__lt=now)
        )
        .order_by("id")
        .values_list("public_id", flat=True)
    )
    # Tortoise types values_list as tuples even with flat=True.
    return list(cast("list[str]", rows))


async def _claim(job_id: str, owner: str, now: datetime, lease: timedelta) -> ImportJob | None:
    claimed = await ImportJob.filter(
        Q(lease_owner__isnull=True) | Q(lease_expires_at__lt=now),
        public_id=job_id,
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
    ).update(
        lease_owner=owner,
        lease_expires_at=now + lease,
        status=ImportStatus.RUNNING,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    await ImportJob.filter(public_id=job_id, started_at__isnull=True).update(started_at=now)
    return await ImportJob.get(public_id=job_id)


async def _finish(
    job: ImportJob,
    owner: str,
    *,
    status: ImportStatus,
    now: datetime,
    error: tuple[str, str] | None = None,
    notes: list[ImportIssue] | None = None,
) -> None:
    if notes:
        await ImportIssue.bulk_create(notes, batch_size=200)
    await ImportJob.filter(id=job.id, lease_owner=owner).update(
        status=status,
        finished_at=now,
        lease_owner=None,
        lease_expires_at=None,
        error_code=error[0] if error else None,
        error_message=error[1] if error else None,
    )
    await job.refresh_from_db()
    await write_audit(
        actor=None,
        action=AuditAction.IMPORT_FINISHED
        if status is ImportStatus.DONE
        else AuditAction.IMPORT_FAILED,
        entity_type="import_job",
        entity_id=job.public_id,
        now=now,
        after={
            "status": status.value,
            "rows": job.rows_done,
            "created": job.created_count,
            "issued": job.issued_count,
            "existing": job.existing_count,
            "refused": job.refused_count,
            "error": error[0] if error else None,
        },
    )


async def run_import_job(
    *,
    job_id: str,
    owner: str,
    collector: Collector,
    catalog: Callable[[], Awaitable[Catalog]],
    clock: Callable[[], datetime],
    on_progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob | None:
    """Claim the job and run it to the end; ``None`` when another worker holds it (or it
    is finished). A lost lease stops quietly: the new owner finishes the job."""
    job = await _claim(job_id, owner, clock(), collector.lease)
    if job is None:
        return None
    if job.attempts > MAX_ATTEMPTS:
        await _finish(
            job,
            owner,
            status=ImportStatus.FAILED,
            now=clock(),
            error=(
                "IMPORT_TOO_MANY_ATTEMPTS",
                "导入任务多次中断，已停止，请检查服务日志后重新导入",
            ),
        )
        return job
    from schema.collection.files import FileRefused, open_collection_file
    from schema.services.collection_reader import ReaderSpec, open_reader

    store = collector.store
    try:
        source = await asyncio.to_thread(
            open_collection_file, store.local_path(job.file_sha256), filename=job.file_name
        )
    except FileRefused as exc:
        await _finish(
            job, owner, status=ImportStatus.FAILED, now=clock(), error=(exc.code, exc.message)
        )
        return job
    try:
        if job.total_rows is None:
            job.total_rows = await asyncio.to_thread(source.count_rows)
            await ImportJob.filter(id=job.id).update(total_rows=job.total_rows)
        headers = dict(source.headers)
    finally:
        source.close()
    spec = ReaderSpec(
        file_path=store.local_path(job.file_sha256),
        file_name=job.file_name,
        photos_path=store.local_path(job.photos_sha256) if job.photos_sha256 else None,
        start_after=job.processed_through,
        kind=job.kind,
        chunk_rows=collector.chunk_rows,
        hmac=collector.pii.lookup_hasher(),
        today=clock().date(),
    )
    left = (job.total_rows or 0) - job.rows_done
    try:
        reader = await open_reader(
            spec,
            catalog=catalog,
            documents=catalog_documents,
            in_process=left < collector.process_rows,
        )
    except FileRefused as exc:
        await _finish(
            job, owner, status=ImportStatus.FAILED, now=clock(), error=(exc.code, exc.message)
        )
        return job
    try:
        await _run_chunks(job, owner, headers, reader, collector, catalog, clock, on_progress)
        notes = _file_notes(job, await reader.notes())
        await _finish(job, owner, status=ImportStatus.DONE, now=clock(), notes=notes)
    except LeaseLost:
        _log.warning("import job %s taken over by another worker", job.public_id)
        return None
    finally:
        await reader.close()
    if on_progress is not None:
        on_progress(job)
    return job


def _file_notes(job: ImportJob, file_notes: list[FileNote]) -> list[ImportIssue]:
    notes = [
        ImportIssue(
            job_id=job.id,
            row=note.row,
            column=None,
            outcome=ImportOutcome.NOTE,
            code=note.code,
            message=note.message,
        )
        for note in file_notes
    ]
    return notes


async def _run_chunks(
    job: ImportJob,
    owner: str,
    headers: dict[str, str],
    reader: RowReader,
    collector: Collector,
    catalog_of: Callable[[], Awaitable[Catalog]],
    clock: Callable[[], datetime],
    on_progress: Callable[[ImportJob], None] | None,
) -> None:
    """Write chunk after chunk; the reader checks the next chunk meanwhile."""
    start_after = job.processed_through
    catalog = await catalog_of()
    while True:
        through, results = await reader.next_chunk()
        if not results:
            return
        ctx = ChunkContext(
            job=job,
            owner=owner,
            headers=headers,
            labels=LABELS,
            catalog=catalog,
            issuer=collector.issuer,
            store=collector.store,
            lease=collector.lease,
        )
        await write_chunk(ctx, results, start_after=start_after, through=through, now=clock())
        start_after = through
        job.processed_through = through
        if on_progress is not None:
            await job.refresh_from_db()
            on_progress(job)
