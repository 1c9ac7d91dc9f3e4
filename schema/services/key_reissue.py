"""Key-compromise recovery: re-issue what a revoked signing key signed (重新签发).

``ecert keys revoke KID --effective-at T --reissue`` (or the ``revokeSigningKey`` mutation
with ``reissue: true``) revokes the key and queues a ``KeyReissueJob`` in one transaction
(``schema.services.signing_keys.revoke_key``). A worker (``graphql_api.worker``:
procrastinate on PostgreSQL, the in-process worker on SQLite; or the CLI with ``--wait``)
runs it with ``run_reissue_job``. The claim is a lease on the job row, as for document
batches. Each chunk is one transaction: it re-signs up to ``CHUNK`` current versions the
key signed at or after T under the key that signs now, as a new version of the same
content (new cert_id, new QR), marks each old version superseded with its own audit
action (因签名密钥停用重新签发) and renews the lease, which must still be this worker's
or the whole chunk rolls back. A correction request pending on an old version moves to
its new version, so the authority can still decide it.

The job is idempotent: what remains is always read from the register (current versions
signed by the revoked key), and a re-issued version is signed by another key and no
longer current, so a re-run, a takeover or a second job re-issues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, NotFound
from schema.models import (
    BatchStatus,
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    KeyReissueJob,
    Registration,
)
from schema.services import leased_jobs
from schema.services.audit import write_audit
from schema.services.issuance import CertificateContent, Issuer
from schema.services.keys import get_by_key

__all__ = [
    "CHUNK",
    "MAX_ATTEMPTS",
    "claimable_reissue_jobs",
    "get_reissue_job",
    "list_reissue_jobs",
    "reissue_percent",
    "run_reissue_job",
]

_log = logging.getLogger(__name__)
CHUNK = 50  # certificate versions re-issued per transaction
MAX_ATTEMPTS = 3


def _require_signer(actor: Actor) -> None:
    if actor.role not in (Role.SIGNER, Role.ADMIN):
        raise Forbidden("只有签章管理员可以管理签名密钥")


def reissue_percent(job: KeyReissueJob) -> float:
    if job.status is BatchStatus.DONE:
        return 100.0
    if not job.total:
        return 0.0
    return min(100.0, 100.0 * job.done_count / job.total)


async def get_reissue_job(*, actor: Actor, job_id: str) -> KeyReissueJob:
    _require_signer(actor)
    job = await get_by_key(KeyReissueJob, public_id=job_id)
    if job is None:
        raise NotFound("重新签发任务不存在", code="KEY_REISSUE_NOT_FOUND", field="id")
    return job


async def list_reissue_jobs(*, actor: Actor, kid: str | None = None) -> list[KeyReissueJob]:
    """Re-issue jobs (of one key), newest first."""
    _require_signer(actor)
    query = KeyReissueJob.all() if kid is None else KeyReissueJob.filter(kid=kid)
    return list(await query.order_by("-id"))


async def claimable_reissue_jobs(*, now: datetime) -> list[str]:
    """Jobs waiting for a worker: queued, or running under a lease that ran out."""
    return await leased_jobs.claimable(KeyReissueJob, now=now)


def _content(old: Certificate) -> CertificateContent:
    """The old version's content, unchanged (a re-issue vouches for the same facts)."""
    return CertificateContent(
        holder_name=old.holder_name,
        holder_id_masked=old.holder_id_masked,
        holder_id_hmac=old.holder_id_hmac,
        holder_account_id=old.holder_id,
        number=old.number,
        level=old.level,
        series_code=old.series_code,
        title_name=old.title_name,
        way_obtained=old.way_obtained,
        specialty=old.specialty,
        approval_document=old.approval_document,
        obtained_on=old.obtained_on,
        issued_on=old.issued_on,
        authority_code=old.authority_code,
        review_body=old.review_body,
        validity_scope=old.validity_scope,
        provenance=old.provenance,
        photo_sha256=old.photo_sha256,
    )


async def _reissue_one(
    old: Certificate, job: KeyReissueJob, issuer: Issuer, now: datetime, conn: BaseDBAsyncClient
) -> Certificate:
    registration = await Registration.get(id=old.registration_id, using_db=conn)
    new = await issuer.issue(
        registration=registration,
        content=_content(old),
        version=old.version + 1,
        lineage_id=old.lineage_id,
        now=now,
        conn=conn,
    )
    if new.kid == job.kid:  # cannot happen: the revoked key's window is closed at ``now``
        raise RuntimeError(f"re-issue signed by the revoked key {job.kid}")
    old.status = CertificateStatus.SUPERSEDED
    old.superseded_by_id = new.id
    old.superseded_at = now
    await old.save(using_db=conn, update_fields=["status", "superseded_by_id", "superseded_at"])
    # A correction the holder asked for follows the certificate to its current version
    # (deciding it on a superseded version would be refused).
    moved = (
        await CorrectionRequest.filter(certificate_id=old.id, status=CorrectionStatus.PENDING)
        .using_db(conn)
        .update(certificate_id=new.id)
    )
    await write_audit(
        actor=None,
        action=AuditAction.CERTIFICATE_REISSUED,
        entity_type="certificate",
        entity_id=old.cert_id,
        now=now,
        after={
            "supersededBy": new.cert_id,
            "revokedKid": job.kid,
            "job": job.public_id,
            "pendingCorrectionsMoved": moved,
        },
        using_db=conn,
    )
    await write_audit(
        actor=None,
        action=AuditAction.CERTIFICATE_ISSUED,
        entity_type="certificate",
        entity_id=new.cert_id,
        now=now,
        after={
            "version": new.version,
            "supersedes": old.cert_id,
            "kid": new.kid,
            "reissueOf": job.kid,
            "job": job.public_id,
        },
        using_db=conn,
    )
    return new


async def _chunk(
    job: KeyReissueJob,
    owner: str,
    issuer: Issuer,
    clock: Callable[[], datetime],
    lease: timedelta,
    size: int,
) -> int:
    """Re-issue the next chunk in one transaction; how many (0: nothing is left)."""
    now = clock()
    async with in_transaction() as conn:
        olds = (
            await Certificate.filter(
                kid=job.kid, signed_at__gte=job.since, status=CertificateStatus.VALID
            )
            .select_for_update()
            .using_db(conn)
            .order_by("id")
            .limit(size)
        )
        for old in olds:
            await _reissue_one(old, job, issuer, now, conn)
        # The chunk commits only while this worker holds the lease.
        renewed = (
            await KeyReissueJob.filter(id=job.id, lease_owner=owner)
            .using_db(conn)
            .update(done_count=F("done_count") + len(olds), lease_until=clock() + lease)
        )
        if not renewed:
            raise leased_jobs.LeaseLost(job.public_id)
    job.done_count += len(olds)
    return len(olds)


async def _finish(
    job: KeyReissueJob,
    owner: str,
    *,
    now: datetime,
    status: BatchStatus,
    error: str | None = None,
) -> bool:
    finished = status in (BatchStatus.DONE, BatchStatus.FAILED)
    audit = leased_jobs.JobAudit(
        done=AuditAction.KEY_REISSUE_FINISHED,
        failed=AuditAction.KEY_REISSUE_FAILED,
        entity_type="key_reissue_job",
        after={
            "kid": job.kid,
            "total": job.total,
            "reissued": job.done_count,
            "attempts": job.attempts,
            "error": error,
        },
    )
    values = {"error": error, "finished_at": now if finished else None}
    return await leased_jobs.release(job, owner, now=now, status=status, values=values, audit=audit)


async def run_reissue_job(
    *,
    job_id: str,
    owner: str,
    issuer: Issuer,
    clock: Callable[[], datetime],
    lease: timedelta = timedelta(seconds=60),
    progress: Callable[[KeyReissueJob], None] | None = None,
    chunk: int = CHUNK,
) -> KeyReissueJob | None:
    """Claim the job and re-issue chunk by chunk until nothing is left; ``None`` when
    another worker holds it (or it is finished) or took it over meanwhile. A failed
    attempt (no usable key, a locked key) puts the job back in the queue until
    ``MAX_ATTEMPTS``, then marks it ``FAILED``; what was re-issued stays re-issued."""
    job = await leased_jobs.claim(KeyReissueJob, job_id, owner, now=clock(), lease=lease)
    if job is None:
        return None
    if job.attempts > MAX_ATTEMPTS:  # its workers died each time
        error = "KEY_REISSUE_TOO_MANY_ATTEMPTS: 重新签发任务多次中断，已停止"
        await _finish(job, owner, now=clock(), status=BatchStatus.FAILED, error=error)
        return job
    try:
        while await _chunk(job, owner, issuer, clock, lease, chunk):
            if progress is not None:
                progress(job)
    except leased_jobs.LeaseLost:
        _log.warning("key re-issue job %s taken over by another worker", job.public_id)
        return None
    except Exception as exc:
        _log.exception("key re-issue job %s: attempt %s failed", job.public_id, job.attempts)
        failed = job.attempts >= MAX_ATTEMPTS
        done = await _finish(
            job,
            owner,
            now=clock(),
            status=BatchStatus.FAILED if failed else BatchStatus.QUEUED,
            error=leased_jobs.short_error(exc),
        )
        return job if done else None
    done = await _finish(job, owner, now=clock(), status=BatchStatus.DONE)
    if progress is not None:
        progress(job)
    return job if done else None
