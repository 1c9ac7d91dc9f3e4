"""Batches of certificate PDFs (证书文件批量生成): many sealed PDFs in one ZIP, as a job.

A reviewer of an authority (or an administrator) lists certificates of that authority by
id or by number; ``create_document_batch`` checks every one and queues a batch. A worker
(``graphql_api.worker``: procrastinate on PostgreSQL, the in-process worker on SQLite)
runs it with ``run_document_batch``: the claim is a lease on the batch row, as for
collection jobs; each certificate's PDF comes from the document renderer (rendered and
sealed once per version, then served from the blob store), and the progress is committed
every few certificates together with a renewed lease. The ZIP (the PDFs and a
``manifest.csv``) is written to a temporary file and only then put in the blob store, so a
batch is either finished with its whole file or not finished at all. A batch that fails
``MAX_ATTEMPTS`` times is marked failed with a short reason.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schema.access import require_reviewer
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import InvalidInput, InvalidState, NotFound, Problem
from schema.models import BatchStatus, Certificate, DocumentBatch, DocumentKind
from schema.rules import is_storable, normalize_certificate_number
from schema.services import document_seal, leased_jobs
from schema.services.audit import write_audit
from schema.services.certificate_documents import DocumentRenderer
from schema.services.keys import get_by_key
from schema.services.paging import Page, keyset_page
from schema.storage import BlobStore

__all__ = [
    "MAX_ATTEMPTS",
    "MAX_CERTIFICATES",
    "BatchResult",
    "batch_percent",
    "batch_result",
    "claimable_batches",
    "create_document_batch",
    "get_document_batch",
    "list_document_batches",
    "run_document_batch",
]

_log = logging.getLogger(__name__)

MAX_CERTIFICATES = 1000
MAX_ATTEMPTS = 3
BATCHES_CURSOR = "db"
PROGRESS_EVERY = 5  # certificates between two progress commits (and lease renewals)
MANIFEST_NAME = "manifest.csv"
MANIFEST_HEADERS = ("cert_id", "number", "holder_name", "version", "status", "file", "sha256")
_ID_MAX = 32  # the columns' sizes: longer input cannot match
_SHOWN_PER_ERROR = 10  # offending entries named in one message
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z._-]+")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_AUDIT = leased_jobs.BatchAudit(
    done=AuditAction.DOCUMENT_BATCH_FINISHED,
    failed=AuditAction.DOCUMENT_BATCH_FAILED,
    entity_type="document_batch",
    shown={"sha256": "result_sha256", "size": "result_size"},
)


@dataclass(frozen=True)
class BatchResult:
    """The finished batch's ZIP, as stored (``path`` is in the blob store: read only)."""

    filename: str
    path: Path
    size: int
    sha256: str


def batch_percent(batch: DocumentBatch) -> float:
    if batch.status is BatchStatus.DONE:
        return 100.0
    if not batch.total:
        return 0.0
    return min(100.0, 100.0 * batch.done_count / batch.total)


# ------------------------------------------------------------------------------ create


def _names(entries: Iterable[str]) -> str:
    shown = list(entries)
    text = "、".join(shown[:_SHOWN_PER_ERROR])
    if len(shown) > _SHOWN_PER_ERROR:
        text += f"等{len(shown)}项"
    return text


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


async def _by_cert_id(cert_ids: list[str]) -> dict[str, Certificate]:
    wanted = [c for c in cert_ids if len(c) <= _ID_MAX and is_storable(c)]
    found = await Certificate.filter(cert_id__in=wanted) if wanted else []
    return {c.cert_id: c for c in found}


async def _by_number(numbers: list[str]) -> dict[str, Certificate]:
    """The newest version of each number's certificate (corrections keep the number)."""
    clean = {
        raw: normalize_certificate_number(raw)
        for raw in numbers
        if len(raw) <= 64 and is_storable(raw)
    }
    wanted = [n for n in set(clean.values()) if 0 < len(n) <= _ID_MAX]
    newest: dict[str, Certificate] = {}
    if wanted:
        for cert in await Certificate.filter(number__in=wanted).order_by("version"):
            newest[cert.number] = cert
    return {raw: newest[n] for raw, n in clean.items() if n in newest}


def _issued(cert: Certificate | None) -> bool:
    return cert is not None and bool(cert.verification_url and cert.signed_at)


async def create_document_batch(
    *,
    actor: Actor,
    cert_ids: list[str] | None = None,
    numbers: list[str] | None = None,
    now: datetime,
) -> DocumentBatch:
    """Queue a batch of the listed certificates' PDFs (by id and/or by number).

    Every certificate must be issued and of the reviewer's authority (an administrator's
    batch: of one authority); another authority's certificate is refused exactly like a
    missing one. Duplicates (also an id and a number of the same certificate) count once.
    """
    require_reviewer(actor)
    ids = _unique(c.strip() for c in cert_ids or [])
    nums = _unique(n.strip() for n in numbers or [])
    if not ids and not nums:
        raise InvalidInput.one("DOCUMENT_BATCH_EMPTY", "请至少选择一份证书", "certIds")
    if len(ids) > MAX_CERTIFICATES or len(nums) > MAX_CERTIFICATES:
        raise _too_large()
    found_ids = await _by_cert_id(ids)
    found_nums = await _by_number(nums)

    def visible(cert: Certificate | None) -> bool:
        if not _issued(cert):
            return False
        assert cert is not None
        return actor.role is Role.ADMIN or cert.authority_code == actor.authority_code

    problems = []
    missing_ids = [c for c in ids if not visible(found_ids.get(c))]
    if missing_ids:
        problems.append(
            Problem("CERTIFICATE_NOT_FOUND", f"证书不存在：{_names(missing_ids)}", "certIds")
        )
    missing_nums = [n for n in nums if not visible(found_nums.get(n))]
    if missing_nums:
        problems.append(
            Problem(
                "CERTIFICATE_NOT_FOUND",
                f"证书不存在（证书编号）：{_names(missing_nums)}",
                "numbers",
            )
        )
    if problems:
        raise InvalidInput(problems)
    certs = {c.cert_id: c for c in [*found_ids.values(), *found_nums.values()]}
    if len(certs) > MAX_CERTIFICATES:
        raise _too_large()
    authorities = sorted({c.authority_code for c in certs.values()})
    if len(authorities) > 1:
        raise InvalidInput.one(
            "DOCUMENT_BATCH_MIXED_AUTHORITIES",
            f"一个批量任务只能包含同一审批机关的证书，所选证书属于{len(authorities)}个审批机关："
            f"{_names(authorities)}",
            "certIds",
        )
    if not await document_seal.sealing_configured(authorities[0]):
        # Refused now rather than failing on the queue after every attempt.
        raise document_seal.SealNotConfigured()
    ordered = [c for c in [*ids, *(found_nums[n].cert_id for n in nums)] if c in certs]
    resolved = _unique(ordered)
    async with in_transaction() as conn:
        batch = await DocumentBatch.create(
            public_id=secrets.token_hex(12),
            authority_code=authorities[0],
            requested_by_id=actor.account_id or 0,
            cert_ids=resolved,
            status=BatchStatus.QUEUED,
            total=len(resolved),
            created_at=now,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.DOCUMENT_BATCH_CREATED,
            entity_type="document_batch",
            entity_id=batch.public_id,
            now=now,
            after={"authority": batch.authority_code, "total": batch.total},
            using_db=conn,
        )
    return batch


def _too_large() -> InvalidInput:
    return InvalidInput.one(
        "DOCUMENT_BATCH_TOO_LARGE",
        f"一个批量任务最多包含{MAX_CERTIFICATES}份证书，请分批生成",
        "certIds",
    )


# ------------------------------------------------------------------------------- read


def _visible(actor: Actor) -> Q:
    require_reviewer(actor)
    if actor.role is Role.ADMIN:
        return Q()
    return Q(authority_code=actor.authority_code)


async def get_document_batch(*, actor: Actor, batch_id: str) -> DocumentBatch:
    """A batch of the reviewer's authority (an administrator: any); others look missing."""
    batch = await get_by_key(DocumentBatch.filter(_visible(actor)), public_id=batch_id)
    if batch is None:
        raise NotFound("批量任务不存在", code="DOCUMENT_BATCH_NOT_FOUND", field="id")
    return batch


async def list_document_batches(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[DocumentBatch]:
    """The authority's batches (an administrator: every one), newest first."""
    query = DocumentBatch.filter(_visible(actor))
    return await keyset_page(
        query, kind=BATCHES_CURSOR, first=first, after=after, newest_first=True
    )


async def batch_result(*, actor: Actor, batch_id: str, store: BlobStore) -> BatchResult:
    """The finished batch's ZIP; a batch not finished yet is ``InvalidState``."""
    batch = await get_document_batch(actor=actor, batch_id=batch_id)
    if batch.status is not BatchStatus.DONE or not batch.result_sha256:
        raise InvalidState("批量文件尚未生成完成", code="DOCUMENT_BATCH_NOT_READY")
    return BatchResult(
        filename=f"ecert-documents-{batch.public_id}.zip",
        path=store.local_path(batch.result_sha256),
        size=batch.result_size or 0,
        sha256=batch.result_sha256,
    )


# -------------------------------------------------------------------------------- run


async def claimable_batches(*, now: datetime) -> list[str]:
    """Batches waiting for a worker: queued, or running under a lease that ran out."""
    return await leased_jobs.claimable(DocumentBatch, now=now)


def _entry_name(cert: Certificate, used: set[str]) -> str:
    stem = _UNSAFE_NAME.sub("_", cert.number).strip("._") or cert.cert_id[:8]
    name = f"{stem}-v{cert.version}.pdf"
    n = 2
    while name in used:
        name = f"{stem}-v{cert.version}-{n}.pdf"
        n += 1
    used.add(name)
    return name


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


async def _certificates(cert_ids: list[str]) -> list[Certificate]:
    found = {c.cert_id: c for c in await Certificate.filter(cert_id__in=cert_ids)}
    missing = [c for c in cert_ids if c not in found]
    if missing:  # certificates are never deleted: the database was restored partly
        raise RuntimeError(f"{len(missing)} certificate(s) of the batch are gone")
    return [found[c] for c in cert_ids]


async def _write_zip(
    batch: DocumentBatch,
    owner: str,
    target: Path,
    renderer: DocumentRenderer,
    clock: Callable[[], datetime],
    lease: timedelta,
) -> None:
    certs = await _certificates(list(batch.cert_ids))
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\r\n")
    writer.writerow(MANIFEST_HEADERS)
    used: set[str] = set()
    stamp = clock().timetuple()[:6]
    renewed = clock()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, cert in enumerate(certs, start=1):
            file = await renderer.file_for(cert, DocumentKind.PDF)
            name = _entry_name(cert, used)
            info = zipfile.ZipInfo(name, date_time=stamp)
            await asyncio.to_thread(archive.writestr, info, file.body)
            writer.writerow(
                (
                    cert.cert_id,
                    cert.number,
                    _csv_safe(cert.holder_name),
                    cert.version,
                    file.shown_status.value,
                    name,
                    file.sha256,
                )
            )
            now = clock()
            # Every few certificates, and often enough that the lease never runs out.
            due = done % PROGRESS_EVERY == 0 or now - renewed >= lease / 3
            if due and done < len(certs):
                await leased_jobs.progress(batch, owner, done=done, now=now, lease=lease)
                renewed = now
        info = zipfile.ZipInfo(MANIFEST_NAME, date_time=stamp)
        archive.writestr(info, manifest.getvalue().encode("utf-8-sig"))


async def run_document_batch(
    *,
    batch_id: str,
    owner: str,
    renderer: DocumentRenderer,
    store: BlobStore,
    clock: Callable[[], datetime],
    lease: timedelta = timedelta(seconds=60),
) -> DocumentBatch | None:
    """Claim the batch and build its ZIP; ``None`` when another worker holds it (or it is
    finished) or took it over meanwhile. A failed attempt puts the batch back in the queue
    (status ``QUEUED``) until ``MAX_ATTEMPTS``, then marks it ``FAILED``."""
    batch = await leased_jobs.claim(
        DocumentBatch, batch_id, owner, now=clock(), lease=lease, reset={"done_count": 0}
    )
    if batch is None:
        return None
    if batch.attempts > MAX_ATTEMPTS:  # its workers died each time (killed, out of memory)
        error = "DOCUMENT_BATCH_TOO_MANY_ATTEMPTS: 批量任务多次中断，已停止"
        await leased_jobs.fail_attempt(
            batch, owner, error, clock=clock, max_attempts=MAX_ATTEMPTS, audit=_AUDIT
        )
        return batch
    fd, name = tempfile.mkstemp(prefix="ecert-batch-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        await _write_zip(batch, owner, path, renderer, clock, lease)
        key = await store.put_file(path)
        size = (await asyncio.to_thread(path.stat)).st_size
    except leased_jobs.LeaseLost:
        _log.warning("document batch %s taken over by another worker", batch.public_id)
        return None
    except Exception as exc:
        _log.exception("document batch %s: attempt %s failed", batch.public_id, batch.attempts)
        error = leased_jobs.short_error(exc)
        done = await leased_jobs.fail_attempt(
            batch, owner, error, clock=clock, max_attempts=MAX_ATTEMPTS, audit=_AUDIT
        )
        return batch if done else None
    finally:
        await asyncio.to_thread(path.unlink, True)
    now = clock()
    done = await leased_jobs.finish(
        batch,
        owner,
        now=now,
        status=BatchStatus.DONE,
        values={
            "done_count": batch.total,
            "result_sha256": key,
            "result_size": size,
            "error": None,
            "finished_at": now,
        },
        audit=_AUDIT,
    )
    return batch if done else None
