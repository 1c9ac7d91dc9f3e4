"""Collection jobs as operators run them: real `ecert import` and `ecert worker` processes,
killed with SIGKILL half-way, and two queue workers on one PostgreSQL queue."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.collection import HISTORICAL_ROW, write_csv
from tests.support.settings import test_environ

ROWS = 2400
BAD_ROWS = {17, 600, 1999}  # indexes of rows with a wrong ID check character
GOOD = ROWS - len(BAD_ROWS)


def _rows(tag: int) -> Iterator[dict[str, str]]:
    for i in range(ROWS):
        row = {**HISTORICAL_ROW, "证书编号": f"0113{tag}{i:08d}"}
        if i in BAD_ROWS:
            row["公民身份号码"] = "500112198503120231"
        yield row


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)  # also the working directory (reports)
    return {
        **os.environ,
        **test_environ(database_url=database_url, data_dir=str(data_dir)),
        "ECERT_IMPORT_LEASE_SECONDS": "2",
        "ECERT_IMPORT_CHUNK_ROWS": "40",
    }


def _ecert(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphql_api.cli", *args],
        env=env,
        cwd=env["ECERT_DATA_DIR"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _jobs(database_url: str) -> list[tuple[str, str, int, int, int]]:
    """(id, status, rows done, created, refused) of every job, read with a short connection."""
    from schema.db import close_db, open_db
    from schema.models import ImportJob

    await open_db(database_url)
    try:
        rows = await ImportJob.all().order_by("id").values_list(
            "public_id", "status", "rows_done", "created_count", "refused_count"
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await close_db()


def _poll(database_url: str, until, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            jobs = asyncio.run(_jobs(database_url))
        except Exception:  # SQLite busy while the other process commits: try again
            jobs = []
        if jobs and until(jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError(f"timed out; jobs: {jobs}")


async def _registrations(database_url: str) -> int:
    from schema.db import close_db, open_db
    from schema.models import Registration

    await open_db(database_url)
    try:
        return await Registration.all().count()
    finally:
        await close_db()


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def test_an_import_killed_half_way_finishes_with_exactly_the_good_rows(database_url, tmp_path):
    env = _env(database_url, tmp_path / "data")
    path = write_csv(tmp_path / "archive.csv", _rows(1))
    first = _ecert(env, "import", str(path), "--quiet")
    jobs = _poll(database_url, lambda jobs: jobs[0][2] >= 400)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=20)
    (job_id, status, done, _, _) = asyncio.run(_jobs(database_url))[0]
    assert status == "RUNNING" and 0 < done < ROWS, jobs
    time.sleep(2.5)  # the dead worker's lease runs out
    second = subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", "import", "--job", job_id, "--quiet"],
        env=env,
        cwd=env["ECERT_DATA_DIR"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert second.returncode == 0, second.stderr
    (_, status, done, created, refused) = asyncio.run(_jobs(database_url))[0]
    assert (status, done, created, refused) == ("DONE", ROWS, GOOD, len(BAD_ROWS))
    assert asyncio.run(_registrations(database_url)) == GOOD


@pytest.mark.pg_only
def test_a_queue_worker_killed_half_way_is_taken_over_by_another(database_url, tmp_path):
    env = _env(database_url, tmp_path / "data")
    path = write_csv(tmp_path / "archive.csv", _rows(2))
    queued = subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", "import", str(path), "--background"],
        env=env,
        cwd=env["ECERT_DATA_DIR"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert queued.returncode == 0 and "queued" in queued.stdout, queued.stderr
    first = _ecert(env, "worker")
    _poll(database_url, lambda jobs: jobs[0][2] >= 400)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=20)
    time.sleep(2.5)
    second = _ecert(env, "worker")
    try:
        jobs = _poll(database_url, lambda jobs: jobs[0][1] == "DONE", timeout=120)
    finally:
        err = _stop(second)
    assert jobs[0][2:] == (ROWS, GOOD, len(BAD_ROWS)), err
    assert asyncio.run(_registrations(database_url)) == GOOD


@pytest.mark.pg_only
def test_two_workers_on_one_queue_process_each_row_once(database_url, tmp_path):
    env = _env(database_url, tmp_path / "data")
    for tag in (3, 4):
        path = write_csv(tmp_path / f"archive{tag}.csv", _rows(tag))
        queued = subprocess.run(
            [sys.executable, "-m", "graphql_api.cli", "import", str(path), "--background"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert queued.returncode == 0, queued.stderr
    workers = [_ecert(env, "worker"), _ecert(env, "worker")]
    try:
        jobs = _poll(
            database_url, lambda jobs: all(j[1] == "DONE" for j in jobs) and len(jobs) == 2
        )
    finally:
        errors = [_stop(w) for w in workers]
    assert [j[2:] for j in jobs] == [(ROWS, GOOD, len(BAD_ROWS))] * 2, errors
    assert asyncio.run(_registrations(database_url)) == 2 * GOOD
