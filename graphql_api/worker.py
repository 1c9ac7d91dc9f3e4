"""Running collection jobs: procrastinate on PostgreSQL, an in-process worker on SQLite.

The job itself is a use case (``schema.services.collection_jobs.run_import_job``); this
module only decides who runs it. On PostgreSQL a job is deferred to procrastinate's
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
from datetime import datetime, timedelta
from typing import Any, Protocol

import procrastinate

from schema.http_edge.deps import utc_now
from schema.http_edge.settings import Settings
from schema.services.collection_jobs import Collector, claimable_jobs, run_import_job
from schema.services.reference import current_catalog

__all__ = [
    "InProcessWorker",
    "JobDispatcher",
    "QueueDispatcher",
    "apply_queue_schema",
    "build_collector",
    "queue_app",
    "run_queue_worker",
    "worker_name",
]

_log = logging.getLogger(__name__)
QUEUE = "collection"
RUN_TASK = "ecert.collection.run"
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


class JobDispatcher(Protocol):
    async def enqueue(self, job_id: str) -> None:
        """Hand a newly created job to whoever runs jobs."""
        ...


# --------------------------------------------------------------------------- PostgreSQL


def _conninfo(database_url: str) -> str:
    for prefix in ("postgres://", "asyncpg://", "psycopg://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def queue_app(
    settings: Settings,
    collector: Collector | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> procrastinate.App:
    """The procrastinate app on the service's PostgreSQL database. With a ``collector`` the
    app can run the tasks (a worker); without one it only defers them (the web process)."""
    now = clock or utc_now
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

    @app.periodic(cron="* * * * *", periodic_id="collection-sweep")
    @app.task(name="ecert.collection.sweep", queue=QUEUE, queueing_lock="collection-sweep")
    async def sweep(timestamp: int) -> None:
        await sweep_stalled(app, now())

    return app


async def sweep_stalled(app: procrastinate.App, now: datetime) -> list[str]:
    """Retry procrastinate jobs of dead workers, and queue collection jobs nobody holds."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=_STALLED_AFTER_SECONDS
    )
    for job in stalled:
        _log.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    requeued = []
    for job_id in await claimable_jobs(now=now):
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await app.configure_task(RUN_TASK, queueing_lock=job_id).defer_async(job_id=job_id)
            requeued.append(job_id)
    return requeued


class QueueDispatcher:
    """Defers jobs to procrastinate (the web process on PostgreSQL). The connection pool
    opens on the first job, so a process that never defers one holds no extra connections."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: procrastinate.App | None = None
        self._lock = asyncio.Lock()

    async def enqueue(self, job_id: str) -> None:
        async with self._lock:
            if self._app is None:
                app = queue_app(self._settings)
                await app.open_async()
                self._app = app
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self._app.configure_task(RUN_TASK, queueing_lock=job_id).defer_async(
                job_id=job_id
            )

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


async def run_queue_worker(settings: Settings, collector: Collector, *, concurrency: int = 1) -> None:
    """``ecert worker``: run collection jobs until stopped (SIGINT/SIGTERM)."""
    app = queue_app(settings, collector)
    async with app.open_async():
        await sweep_stalled(app, utc_now())
        await app.run_worker_async(queues=[QUEUE], concurrency=concurrency)


# ------------------------------------------------------------------------------- SQLite


class InProcessWorker:
    """Runs queued jobs in a background task of this process (the SQLite default).

    The web process never runs a job on a request: ``enqueue`` only wakes this task, which
    does the CPU part of each chunk in a thread and commits chunk by chunk.
    """

    def __init__(
        self,
        collector: Collector,
        *,
        clock: Callable[[], datetime],
        poll_seconds: float = 2.0,
    ) -> None:
        self._collector = collector
        self._clock = clock
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._owner = worker_name()
        self._task: asyncio.Task[None] | None = None

    async def enqueue(self, job_id: str) -> None:
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
        """Run every job waiting now; return how many this worker finished."""
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
