"""Running collection jobs and document batches: procrastinate on PostgreSQL, an in-process
worker on SQLite.

The jobs themselves are use cases (``schema.services.collection_jobs.run_import_job``,
``schema.services.document_batches.run_document_batch``); this module only decides who
runs them. Document batches (many certificate PDFs in one ZIP) go to procrastinate's
``documents`` queue the same way (and so do employers' batch checks,
``schema.services.verification_batches.run_verification_batch``), and re-issue jobs of a revoked signing key
(``schema.services.key_reissue.run_reissue_job``) to its ``keys`` queue; ``ecert worker``
listens to all three queues. On PostgreSQL a job is deferred to procrastinate's
``collection`` queue and ``ecert worker`` processes run it — on as many machines as
needed, procrastinate hands each job to one worker, and the job row's lease makes a
chunk commit only under the worker that holds it. A periodic task retries jobs whose
worker stopped sending heartbeats (killed with ``kill -9``, machine lost), and re-queues
collection jobs whose lease ran out. On SQLite (one machine, nothing to install) the web
process runs queued jobs in a background task, off the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from schema.http_edge.deps import utc_now
from schema.http_edge.settings import Settings
from schema.models import BatchStatus, DocumentBatch, VerificationBatch
from schema.services.collection_jobs import Collector, claimable_jobs, run_import_job
from schema.services.document_batches import claimable_batches, run_document_batch
from schema.services.key_reissue import claimable_reissue_jobs, run_reissue_job
from schema.services.reference import current_catalog
from schema.services.verification_batches import (
    claimable_verification_batches,
    run_verification_batch,
)

if TYPE_CHECKING:
    import procrastinate

    from schema.services.certificate_documents import DocumentRenderer
    from schema.services.issuance import Issuer
    from schema.storage import BlobStore

__all__ = [
    "BatchRunner",
    "InProcessWorker",
    "JobDispatcher",
    "QueueDispatcher",
    "apply_queue_schema",
    "build_batch_runner",
    "build_collector",
    "queue_app",
    "run_queue_worker",
    "worker_name",
]

_log = logging.getLogger(__name__)
QUEUE = "collection"
RUN_TASK = "ecert.collection.run"
BATCH_QUEUE = "documents"
BATCH_TASK = "ecert.documents.batch"
BATCH_RETRY_SECONDS = 10  # a failed attempt of a batch is tried again after this
REISSUE_QUEUE = "keys"
REISSUE_TASK = "ecert.keys.reissue"
# Employers' batch checks share the documents queue (the same workers, ``ecert worker``).
CHECK_TASK = "ecert.verification.batch"
_STALLED_AFTER_SECONDS = 30  # procrastinate's default stalled-worker timeout


def worker_name() -> str:
    """A lease owner that is unique per process (host, pid and a random part)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def build_collector(settings: Settings, deps: Any) -> Collector:
    return Collector(
        pii=deps.pii,
        store=deps.store,
        issuer=deps.issuer,
        lease=timedelta(seconds=settings.import_lease_seconds),
        chunk_rows=settings.import_chunk_rows,
    )


@dataclass(frozen=True, kw_only=True)
class BatchRunner:
    """What running a document batch (and, given ``issuer``, an employer's batch check)
    needs (built once per process from the settings)."""

    renderer: DocumentRenderer
    store: BlobStore
    lease: timedelta = timedelta(seconds=60)
    issuer: Issuer | None = None

    async def run_check(
        self, batch_id: str, *, owner: str, clock: Callable[[], datetime]
    ) -> VerificationBatch | None:
        if self.issuer is None:
            raise RuntimeError("this runner has no issuer: batch checks cannot be signed")
        return await run_verification_batch(
            batch_id=batch_id,
            owner=owner,
            issuer=self.issuer,
            store=self.store,
            clock=clock,
            lease=self.lease,
        )

    async def run(
        self, batch_id: str, *, owner: str, clock: Callable[[], datetime]
    ) -> DocumentBatch | None:
        return await run_document_batch(
            batch_id=batch_id,
            owner=owner,
            renderer=self.renderer,
            store=self.store,
            clock=clock,
            lease=self.lease,
        )


def build_batch_runner(settings: Settings, deps: Any) -> BatchRunner:
    return BatchRunner(
        renderer=deps.documents,
        store=deps.store,
        lease=timedelta(seconds=settings.import_lease_seconds),
        issuer=deps.issuer,
    )


class JobDispatcher(Protocol):
    async def enqueue(self, job_id: str) -> None:
        """Hand a newly created collection job to whoever runs jobs."""
        ...

    async def enqueue_batch(self, batch_id: str) -> None:
        """Hand a newly created document batch to whoever runs batches."""
        ...

    async def enqueue_reissue(self, job_id: str) -> None:
        """Hand a newly queued key re-issue job to whoever runs them."""
        ...

    async def enqueue_check(self, batch_id: str) -> None:
        """Hand a newly created employer batch check to whoever runs batches."""
        ...


# --------------------------------------------------------------------------- PostgreSQL


def _already_enqueued() -> type[Exception]:
    """procrastinate's refusal of a second job under one queueing lock. procrastinate (and
    psycopg under it) is imported at the first job a process defers or runs, not with the
    web app (issue 10, idle memory)."""
    from procrastinate.exceptions import AlreadyEnqueued

    return AlreadyEnqueued


def _conninfo(database_url: str) -> str:
    for prefix in ("postgres://", "asyncpg://", "psycopg://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def _batch_lock(batch_id: str) -> str:
    return f"document-batch:{batch_id}"


def _reissue_lock(job_id: str) -> str:
    return f"key-reissue:{job_id}"


def _check_lock(batch_id: str) -> str:
    return f"verification-batch:{batch_id}"


async def _defer_check(app: procrastinate.App, batch_id: str, **options: Any) -> bool:
    with contextlib.suppress(_already_enqueued()):
        await app.configure_task(
            CHECK_TASK, queueing_lock=_check_lock(batch_id), **options
        ).defer_async(batch_id=batch_id)
        return True
    return False


async def _defer_reissue(app: procrastinate.App, job_id: str, **options: Any) -> bool:
    with contextlib.suppress(_already_enqueued()):
        await app.configure_task(
            REISSUE_TASK, queueing_lock=_reissue_lock(job_id), **options
        ).defer_async(job_id=job_id)
        return True
    return False


def queue_app(
    settings: Settings,
    collector: Collector | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    batches: BatchRunner | None = None,
) -> procrastinate.App:
    """The procrastinate app on the service's PostgreSQL database. With a ``collector``
    (and ``batches``) the app can run the tasks (a worker); without them it only defers
    them (the web process)."""
    now = clock or utc_now
    import procrastinate

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(settings.database_url))
    )
    owner = worker_name()

    @app.task(name=RUN_TASK, queue=QUEUE)
    async def run_collection_job(job_id: str) -> None:
        if collector is None:
            raise RuntimeError("this process only defers collection jobs")
        # ``None``: another worker holds the job; if its lease runs out unfinished, the
        # sweep queues the job again.
        await run_import_job(
            job_id=job_id, owner=owner, collector=collector, catalog=current_catalog, clock=now
        )

    @app.task(name=BATCH_TASK, queue=BATCH_QUEUE)
    async def run_document_batch_task(batch_id: str) -> None:
        if batches is None:
            raise RuntimeError("this process only defers document batches")
        batch = await batches.run(batch_id, owner=owner, clock=now)
        if batch is not None and batch.status is BatchStatus.QUEUED:  # failed: again later
            with contextlib.suppress(_already_enqueued()):
                await app.configure_task(
                    BATCH_TASK,
                    queueing_lock=_batch_lock(batch_id),
                    schedule_in={"seconds": BATCH_RETRY_SECONDS},
                ).defer_async(batch_id=batch_id)

    @app.task(name=CHECK_TASK, queue=BATCH_QUEUE)
    async def run_check_task(batch_id: str) -> None:
        if batches is None:
            raise RuntimeError("this process only defers batch checks")
        batch = await batches.run_check(batch_id, owner=owner, clock=now)
        if batch is not None and batch.status is BatchStatus.QUEUED:  # failed: again later
            await _defer_check(app, batch_id, schedule_in={"seconds": BATCH_RETRY_SECONDS})

    @app.task(name=REISSUE_TASK, queue=REISSUE_QUEUE)
    async def run_reissue_task(job_id: str) -> None:
        if collector is None:
            raise RuntimeError("this process only defers key re-issue jobs")
        job = await run_reissue_job(
            job_id=job_id, owner=owner, issuer=collector.issuer, clock=now, lease=collector.lease
        )
        if job is not None and job.status is BatchStatus.QUEUED:  # failed: again later
            await _defer_reissue(app, job_id, schedule_in={"seconds": BATCH_RETRY_SECONDS})

    @app.periodic(cron="* * * * *", periodic_id="collection-sweep")
    @app.task(name="ecert.collection.sweep", queue=QUEUE, queueing_lock="collection-sweep")
    async def sweep(timestamp: int) -> None:
        await sweep_stalled(app, now())

    return app


async def sweep_stalled(app: procrastinate.App, now: datetime) -> list[str]:
    """Retry procrastinate jobs of dead workers, and queue collection jobs and document
    batches nobody holds."""
    for queue in (QUEUE, BATCH_QUEUE, REISSUE_QUEUE):
        stalled = await app.job_manager.get_stalled_jobs(
            queue=queue, seconds_since_heartbeat=_STALLED_AFTER_SECONDS
        )
        for job in stalled:
            _log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
            await app.job_manager.retry_job(job)
    requeued = []
    for job_id in await claimable_jobs(now=now):
        with contextlib.suppress(_already_enqueued()):
            await app.configure_task(RUN_TASK, queueing_lock=job_id).defer_async(job_id=job_id)
            requeued.append(job_id)
    for batch_id in await claimable_batches(now=now):
        with contextlib.suppress(_already_enqueued()):
            await app.configure_task(BATCH_TASK, queueing_lock=_batch_lock(batch_id)).defer_async(
                batch_id=batch_id
            )
            requeued.append(batch_id)
    for reissue_id in await claimable_reissue_jobs(now=now):
        if await _defer_reissue(app, reissue_id):
            requeued.append(reissue_id)
    for check_id in await claimable_verification_batches(now=now):
        if await _defer_check(app, check_id):
            requeued.append(check_id)
    return requeued


class QueueDispatcher:
    """Defers jobs to procrastinate (the web process on PostgreSQL). The connection pool
    opens on the first job, so a process that never defers one holds no extra connections."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: procrastinate.App | None = None
        self._lock = asyncio.Lock()

    async def _opened(self) -> procrastinate.App:
        async with self._lock:
            if self._app is None:
                app = queue_app(self._settings)
                await app.open_async()
                self._app = app
            return self._app

    async def enqueue(self, job_id: str) -> None:
        app = await self._opened()
        with contextlib.suppress(_already_enqueued()):
            await app.configure_task(RUN_TASK, queueing_lock=job_id).defer_async(job_id=job_id)

    async def enqueue_batch(self, batch_id: str) -> None:
        app = await self._opened()
        with contextlib.suppress(_already_enqueued()):
            await app.configure_task(BATCH_TASK, queueing_lock=_batch_lock(batch_id)).defer_async(
                batch_id=batch_id
            )

    async def enqueue_reissue(self, job_id: str) -> None:
        await _defer_reissue(await self._opened(), job_id)

    async def enqueue_check(self, batch_id: str) -> None:
        await _defer_check(await self._opened(), batch_id)

    async def close(self) -> None:
        if self._app is not None:
            await self._app.close_async()
            self._app = None


async def apply_queue_schema(settings: Settings) -> str:
    """Create procrastinate's tables once (``ecert migrate`` on PostgreSQL)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(_conninfo(settings.database_url)) as conn:
        cur = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        row = await cur.fetchone()
        if row and row[0]:
            return "job queue schema present"
    app = queue_app(settings)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
    return "job queue schema created"


async def run_queue_worker(
    settings: Settings,
    collector: Collector,
    *,
    concurrency: int = 1,
    batches: BatchRunner | None = None,
) -> None:
    """``ecert worker``: run collection jobs (and, given ``batches``, document batches)
    until stopped (SIGINT/SIGTERM)."""
    app = queue_app(settings, collector, batches=batches)
    queues = [QUEUE, REISSUE_QUEUE] if batches is None else [QUEUE, BATCH_QUEUE, REISSUE_QUEUE]
    async with app.open_async():
        await sweep_stalled(app, utc_now())
        await app.run_worker_async(queues=queues, concurrency=concurrency)


# ------------------------------------------------------------------------------- SQLite


class InProcessWorker:
    """Runs queued jobs (and, given ``batches``, document batches) in a background task of
    this process (the SQLite default).

    The web process never runs a job on a request: ``enqueue`` only wakes this task, which
    does the CPU part of each chunk in a thread and commits chunk by chunk.
    """

    def __init__(
        self,
        collector: Collector,
        *,
        clock: Callable[[], datetime],
        poll_seconds: float = 2.0,
        batches: BatchRunner | None = None,
    ) -> None:
        self._collector = collector
        self._batches = batches
        self._clock = clock
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._owner = worker_name()
        self._task: asyncio.Task[None] | None = None

    async def enqueue(self, job_id: str) -> None:
        self._wake.set()

    async def enqueue_batch(self, batch_id: str) -> None:
        self._wake.set()

    async def enqueue_reissue(self, job_id: str) -> None:
        self._wake.set()

    async def enqueue_check(self, batch_id: str) -> None:
        self._wake.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[InProcessWorker]:
        self._task = asyncio.create_task(self._loop(), name="collection-worker")
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run_pending(self) -> int:
        """Run every job, batch and key re-issue job waiting now; return how many this
        worker ran (a batch whose attempt failed counts too: it is tried again at a later
        round)."""
        done = 0
        for job_id in await claimable_jobs(now=self._clock()):
            job = await run_import_job(
                job_id=job_id,
                owner=self._owner,
                collector=self._collector,
                catalog=current_catalog,
                clock=self._clock,
            )
            done += job is not None
        if self._batches is not None:
            for batch_id in await claimable_batches(now=self._clock()):
                batch = await self._batches.run(batch_id, owner=self._owner, clock=self._clock)
                done += batch is not None
            if self._batches.issuer is not None:
                for check_id in await claimable_verification_batches(now=self._clock()):
                    check = await self._batches.run_check(
                        check_id, owner=self._owner, clock=self._clock
                    )
                    done += check is not None
        for reissue_id in await claimable_reissue_jobs(now=self._clock()):
            reissued = await run_reissue_job(
                job_id=reissue_id,
                owner=self._owner,
                issuer=self._collector.issuer,
                clock=self._clock,
                lease=self._collector.lease,
            )
            done += reissued is not None
        return done

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_pending()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failing job must not stop the worker; its lease expires
                _log.exception("collection worker: a job failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
