"""Jobs a worker runs under a lease on their row: an authority's document batch
(``document_batches``), an employer's verification batch (``verification_batches``) and a key
re-issue job (``key_reissue``).

Their tables have the same job columns (``public_id``, ``status`` as ``BatchStatus``,
``lease_owner``, ``lease_until``, ``attempts``, ``error``, ``started_at``, ``finished_at``).
A worker claims a job with one conditional UPDATE — queued, or running under a lease that ran
out — so two workers never hold it at once; the job's own steps renew the lease and commit only
while it is held; ``release`` ends a run (done, failed, or queued again after a failed attempt)
in one transaction with its audit record. A worker whose lease was taken over stops with
:class:`LeaseLost` and commits nothing more.

The batches (a ``total`` of items, ``done_count`` of them done) share more: ``progress``
commits the count with the renewed lease, ``finish`` ends a run with the audit record a
:class:`BatchAudit` describes, and ``fail_attempt`` ends a failed attempt (queued again, or
failed at the last attempt).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from schema.enums import AuditAction
from schema.models import BatchStatus
from schema.services.audit import write_audit

__all__ = [
    "BatchAudit",
    "JobAudit",
    "LeaseLost",
    "claim",
    "claimable",
    "fail_attempt",
    "finish",
    "progress",
    "release",
    "short_error",
]

_M = TypeVar("_M", bound=Model)
_ERROR_MAX = 500


class LeaseLost(Exception):
    """Another worker took the job over (this one's lease ran out)."""


def _waiting(now: datetime) -> Q:
    return Q(status=BatchStatus.QUEUED) | Q(status=BatchStatus.RUNNING, lease_until__lt=now)


async def claimable(model: type[Model], *, now: datetime) -> list[str]:
    """Jobs waiting for a worker: queued, or running under a lease that ran out."""
    rows = await model.filter(_waiting(now)).order_by("id").values_list("public_id", flat=True)
    # Tortoise types values_list as tuples even with flat=True.
    return list(cast("list[str]", rows))


async def claim(
    model: type[_M],
    public_id: str,
    owner: str,
    *,
    now: datetime,
    lease: timedelta,
    reset: Mapping[str, Any] | None = None,
) -> _M | None:
    """Take the job for ``owner`` (one more attempt), or ``None`` when another worker holds
    it or it is finished. ``reset``: columns set afresh at each claim."""
    claimed = await model.filter(_waiting(now), public_id=public_id).update(
        lease_owner=owner,
        lease_until=now + lease,
        status=BatchStatus.RUNNING,
        attempts=F("attempts") + 1,
        error=None,
        **(reset or {}),
    )
    if not claimed:
        return None
    await model.filter(public_id=public_id, started_at__isnull=True).update(started_at=now)
    return await model.get(public_id=public_id)


@dataclass(frozen=True)
class JobAudit:
    """The audit record of a finished run (done or failed)."""

    done: AuditAction
    failed: AuditAction
    entity_type: str
    after: Mapping[str, Any]


async def release(
    job: Model,
    owner: str,
    *,
    now: datetime,
    status: BatchStatus,
    values: Mapping[str, Any],
    audit: JobAudit,
) -> bool:
    """End this run: ``status`` and ``values`` written and the lease given up, with the audit
    record when the job is done or failed, in one transaction; ``False`` (nothing written)
    when the lease is no longer this worker's. ``job`` is refreshed."""
    model = type(job)
    async with in_transaction() as conn:
        updated = (
            await model.filter(id=job.pk, lease_owner=owner)
            .using_db(conn)
            .update(status=status, lease_owner=None, lease_until=None, **values)
        )
        if not updated:
            return False
        if status in (BatchStatus.DONE, BatchStatus.FAILED):
            await write_audit(
                actor=None,
                action=audit.done if status is BatchStatus.DONE else audit.failed,
                entity_type=audit.entity_type,
                entity_id=cast("str", getattr(job, "public_id")),  # noqa: B009 (any job model)
                now=now,
                after={"status": status.value, **audit.after},
                using_db=conn,
            )
    await job.refresh_from_db()
    return True


async def progress(job: Model, owner: str, *, done: int, now: datetime, lease: timedelta) -> None:
    """Commit a batch's progress: ``done`` items, with the lease renewed from ``now``, in one
    UPDATE that holds only while the lease is this worker's (:class:`LeaseLost` otherwise,
    nothing written). ``job.done_count`` follows."""
    model = type(job)
    renewed = await model.filter(id=job.pk, lease_owner=owner).update(
        done_count=done, lease_until=now + lease
    )
    if not renewed:
        raise LeaseLost(getattr(job, "public_id"))  # noqa: B009 (any job model)
    setattr(job, "done_count", done)  # noqa: B010 (any batch model)


@dataclass(frozen=True)
class BatchAudit:
    """The audit record of a batch's finished run: the batch's total and attempts, the
    values the run wrote that ``shown`` names (audit key → column) and its error."""

    done: AuditAction
    failed: AuditAction
    entity_type: str
    shown: Mapping[str, str]

    def of(self, job: Model, values: Mapping[str, Any]) -> JobAudit:
        """The record of ``job`` ending with ``values`` written."""
        after = {
            "total": getattr(job, "total"),  # noqa: B009 (any batch model)
            "attempts": getattr(job, "attempts"),  # noqa: B009 (any batch model)
            **{key: values.get(column) for key, column in self.shown.items()},
            "error": values.get("error"),
        }
        return JobAudit(
            done=self.done, failed=self.failed, entity_type=self.entity_type, after=after
        )


async def finish(
    job: Model,
    owner: str,
    *,
    now: datetime,
    status: BatchStatus,
    values: Mapping[str, Any],
    audit: BatchAudit,
) -> bool:
    """End this run of a batch as :func:`release` does, with the audit record ``audit``
    makes of ``values``; ``False`` (nothing written) when the lease is no longer this
    worker's."""
    return await release(
        job, owner, now=now, status=status, values=values, audit=audit.of(job, values)
    )


async def fail_attempt(
    job: Model,
    owner: str,
    error: str,
    *,
    clock: Callable[[], datetime],
    max_attempts: int,
    audit: BatchAudit,
) -> bool:
    """End a failed attempt of a batch with ``error``: queued again, or, from its
    ``max_attempts``-th attempt on, ``FAILED`` and finished (``clock`` is read for the audit
    time, then for ``finished_at``). ``False`` as for :func:`finish`."""
    last = getattr(job, "attempts") >= max_attempts  # noqa: B009 (any batch model)
    return await finish(
        job,
        owner,
        now=clock(),
        status=BatchStatus.FAILED if last else BatchStatus.QUEUED,
        values={"error": error, "finished_at": clock() if last else None},
        audit=audit,
    )


def short_error(exc: BaseException) -> str:
    """What a failed attempt keeps on the job row: the domain code and message, or the
    exception's type and text, bounded."""
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None)
    text = f"{code}: {message}" if code and message else f"{type(exc).__name__}: {exc}"
    return text[:_ERROR_MAX]
