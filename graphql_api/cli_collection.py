"""``ecert import`` and ``ecert worker``: bulk collection from the command line.

``ecert import FILE [--photos ZIP]`` stores the file as a job and, by default, runs the job
right here with a progress bar (the process is that job's worker: it holds the job's
lease, so a queue worker never runs it at the same time); ``--background`` only queues it
for the workers. ``ecert import template`` writes the template clerks fill in, and
``ecert worker`` runs queued jobs (procrastinate on PostgreSQL, polling on SQLite).
Every failure is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from schema.collection import TemplateKind

__all__ = ["add_parsers"]

_KINDS: dict[str, TemplateKind] = {"historical": "HISTORICAL", "title-system": "TITLE_SYSTEM"}


def _fail(message: str) -> NoReturn:
    print(f"ecert: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings() -> Any:
    from schema.http_edge.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")


def _readable(path_text: str, what: str) -> Path:
    path = Path(path_text)
    if not path.is_file():
        _fail(f"{what} not found or not a file: {path}")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror}")
    return path


# ----------------------------------------------------------------------------- template


def _cmd_template(args: argparse.Namespace) -> int:
    from schema.collection import template_csv, template_xlsx

    kind = _KINDS[args.kind]
    fmt = args.format or (Path(args.output).suffix.lstrip(".") if args.output else "xlsx")
    if fmt not in ("xlsx", "csv"):
        _fail("--format must be xlsx or csv")
    data = template_xlsx(kind) if fmt == "xlsx" else template_csv(kind)
    target = Path(args.output or f"ecert-{args.kind}-template.{fmt}")
    try:
        target.write_bytes(data)
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror}")
    print(f"wrote {target} ({args.kind} template, {fmt})")
    return 0


# ------------------------------------------------------------------------------- import


def _summary(job: Any) -> list[str]:
    from schema.models import ImportStatus

    if job.status is ImportStatus.FAILED:
        return [f"job {job.public_id} failed: {job.error_message} ({job.error_code})"]
    return [
        f"job {job.public_id} {job.status.value.lower()}: {job.rows_done} rows — "
        f"{job.created_count} loaded ({job.issued_count} issued, "
        f"{job.incomplete_count} 待完善), {job.existing_count} already on record, "
        f"{job.refused_count} refused"
    ]


async def _write_report(actor: Any, job_id: str, target: Path) -> int:
    from schema.collection import report_csv, report_xlsx
    from schema.services.collection_jobs import import_report

    _, lines = await import_report(actor=actor, job_id=job_id)
    data = report_xlsx(lines) if target.suffix.lower() == ".xlsx" else report_csv(lines)
    await asyncio.to_thread(target.write_bytes, data)
    return len(lines)


async def _import(args: argparse.Namespace) -> list[str]:
    from tqdm import tqdm

    from graphql_api.worker import QueueDispatcher, build_collector, worker_name
    from schema.actor import SYSTEM
    from schema.db import close_db, open_db
    from schema.errors import DomainError
    from schema.http_edge.deps import build_deps
    from schema.models import ImportKind
    from schema.services.collection_jobs import create_import_job, run_import_job
    from schema.services.reference import current_catalog

    settings = _settings()
    deps = build_deps(settings)
    file = _readable(args.file, "file") if args.file else None
    photos = _readable(args.photos, "photo archive") if args.photos else None
    await _open(settings, open_db)
    bar: Any = None
    try:
        if args.job:
            job_id = args.job
        else:
            assert file is not None
            created = await create_import_job(
                actor=SYSTEM,
                kind=ImportKind(_KINDS[args.kind]),
                file_name=file.name,
                file=file,
                photos_name=photos.name if photos else None,
                photos=photos,
                store=deps.store,
                now=deps.clock(),
            )
            job_id = created.public_id
        if args.background:
            if settings.is_postgres:
                dispatcher = QueueDispatcher(settings)
                try:
                    await dispatcher.enqueue(job_id)
                finally:
                    await dispatcher.close()
                return [f"job {job_id} queued: an `ecert worker` runs it"]
            return [f"job {job_id} queued: the server's in-process worker runs it"]

        def progress(job: Any) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(
                    total=job.total_rows,
                    unit="row",
                    desc=f"job {job.public_id[:8]}",
                    disable=args.quiet,
                    file=sys.stderr,
                )
            bar.n = job.rows_done
            bar.set_postfix(
                loaded=job.created_count, existing=job.existing_count, refused=job.refused_count
            )
            bar.refresh()

        job = await run_import_job(
            job_id=job_id,
            owner=worker_name(),
            collector=build_collector(settings, deps),
            catalog=current_catalog,
            clock=deps.clock,
            on_progress=progress,
        )
        if bar is not None:
            bar.close()
        if job is None:
            return [f"job {job_id} is being run by another worker (or is finished)"]
        lines = _summary(job)
        if job.refused_count or job.existing_count or args.report:
            target = Path(args.report or f"import-report-{job.public_id[:8]}.csv")
            count = await _write_report(SYSTEM, job.public_id, target)
            lines.append(f"report: {target} ({count} lines)")
        return lines
    except DomainError as exc:
        _fail("; ".join(f"{p.message} ({p.code})" for p in exc.problems))
    finally:
        if bar is not None:
            bar.close()
        await close_db()


async def _open(settings: Any, open_db: Any) -> None:
    """Open the database or fail in one line (the common causes, said plainly)."""
    try:
        await asyncio.wait_for(open_db(settings.database_url), timeout=15)
        from tortoise import Tortoise

        await asyncio.wait_for(
            Tortoise.get_connection("default").execute_query("SELECT 1"), timeout=15
        )
    except TimeoutError:
        _fail("the database did not answer within 15 s")
    except Exception as exc:  # driver errors vary: say which database and why, in one line
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _fail(f"cannot open the database: {reason}")


def _cmd_import(args: argparse.Namespace) -> int:
    if args.file == "template":
        return _cmd_template(args)
    if not args.file and not args.job:
        _fail("give the FILE to import (or --job JOB_ID to continue a job)")
    try:
        lines = asyncio.run(_import(args))
    except KeyboardInterrupt:
        print(
            "ecert: interrupted; the job resumes where it stopped when a worker takes it "
            "over (ecert worker, or ecert import --job JOB_ID)",
            file=sys.stderr,
        )
        return 130
    for line in lines:
        print(line)
    return 0


# ------------------------------------------------------------------------------- worker


async def _worker(args: argparse.Namespace) -> None:
    from graphql_api.worker import (
        InProcessWorker,
        build_batch_runner,
        build_collector,
        run_queue_worker,
    )
    from schema.db import close_db, open_db
    from schema.http_edge.deps import build_deps

    settings = _settings()
    deps = build_deps(settings)
    collector = build_collector(settings, deps)
    batches = build_batch_runner(settings, deps)
    await _open(settings, open_db)
    try:
        if settings.is_postgres:
            print(
                "ecert worker: running collection jobs, document batches and key re-issue "
                "jobs from the procrastinate queue",
                flush=True,
            )
            await run_queue_worker(
                settings, collector, concurrency=args.concurrency, batches=batches
            )
            return
        print(
            "ecert worker: running collection jobs, document batches and key re-issue jobs "
            "(SQLite: polling the job tables)",
            flush=True,
        )
        worker = InProcessWorker(collector, clock=deps.clock, poll_seconds=1.0, batches=batches)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with worker.running():
            await stop.wait()
    finally:
        await close_db()


def _cmd_worker(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_worker(args))
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="load a collection file (CSV/XLSX) as a job; `ecert import template` writes the template",
    )
    p.add_argument("file", nargs="?", help="CSV or XLSX file, or the word `template`")
    p.add_argument("--kind", choices=sorted(_KINDS), default="historical")
    p.add_argument("--photos", help="ZIP of photos named by ID number (<ID>.jpg)")
    p.add_argument("--background", action="store_true", help="only queue the job for workers")
    p.add_argument("--job", help="continue this job (after an interruption)")
    p.add_argument("--report", help="write the report here (.csv or .xlsx)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--format", choices=["xlsx", "csv"], help="template: file format")
    p.add_argument("--output", help="template: where to write it")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "worker", help="run queued collection jobs and document batches until stopped"
    )
    p.add_argument("--concurrency", type=int, default=1)
    p.set_defaults(func=_cmd_worker)
