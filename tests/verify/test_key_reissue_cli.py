"""The key-compromise drill as an operator runs it: real `ecert keys revoke --reissue`,
`ecert worker` (procrastinate on PostgreSQL, polling on SQLite) and `ecert keys
reissue-status` processes, against this test's database (both backends)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from schema.enums import VerificationState
from schema.http_edge.deps import Deps
from schema.models import BatchStatus, Certificate, CertificateStatus, KeyReissueJob
from schema.services.reference import current_catalog
from schema.services.verification import outcome_for_record
from tests.services.test_key_reissue import REVOKED_FROM, Drill, _drill_setup
from tests.support.settings import test_environ

ROOT = Path(__file__).resolve().parents[2]


def _env(deps: Deps) -> dict[str, str]:
    settings = deps.settings
    return {
        **os.environ,
        **test_environ(database_url=settings.database_url, data_dir=str(settings.data_dir)),
        "PYTHONPATH": str(ROOT),
    }


async def _ecert(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graphql_api.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode or 0, out.decode(), err.decode()


async def _revoke(env: dict[str, str], drill: Drill, *extra: str) -> str:
    code, out, err = await _ecert(
        env,
        "keys",
        "revoke",
        drill.key_a,
        "--effective-at",
        REVOKED_FROM.isoformat(),
        "--note",
        "签名密钥疑似泄露（演练）",
        "--reissue",
        *extra,
    )
    assert code == 0, out + err
    return out


async def _assert_recovered(drill: Drill) -> None:
    catalog = await current_catalog()
    for old in drill.affected:
        old = await Certificate.get(id=old.id)
        assert old.status is CertificateStatus.SUPERSEDED and old.superseded_by_id
        new = await Certificate.get(id=old.superseded_by_id)
        assert new.kid == drill.key_b and new.number == old.number
        assert (await outcome_for_record(new, catalog=catalog, now=new.issued_at)).state is (
            VerificationState.VALID
        )
        outcome = await outcome_for_record(old, catalog=catalog, now=new.issued_at)
        assert outcome.state is VerificationState.KEY_REVOKED
        assert outcome.current_version is not None
        assert outcome.current_version.cert_id == new.cert_id
    early = await Certificate.get(id=drill.early.id)
    assert early.status is CertificateStatus.VALID and early.kid == drill.key_a


async def test_revoke_reissue_then_ecert_worker(db: str, deps: Deps) -> None:
    drill = await _drill_setup(deps)
    env = _env(deps)
    out = await _revoke(env, drill)
    assert f"revoked {drill.key_a}" in out and "queued for 3 certificate versions" in out

    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graphql_api.cli",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            job = await KeyReissueJob.get(kid=drill.key_a)
            if job.status in (BatchStatus.DONE, BatchStatus.FAILED):
                break
            await asyncio.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert (job.status, job.done_count) == (BatchStatus.DONE, 3), err.decode()
    await _assert_recovered(drill)

    code, status, err = await _ecert(env, "keys", "reissue-status", drill.key_a)
    assert code == 0, err
    assert f"re-issue job {job.public_id} of {drill.key_a}: done, 3/3 re-issued (100%)" in status


async def test_revoke_reissue_wait_runs_it_in_the_foreground(db: str, deps: Deps) -> None:
    drill = await _drill_setup(deps)
    out = await _revoke(_env(deps), drill, "--wait")
    assert "queued, 0/3 re-issued" in out and "done, 3/3 re-issued (100%)" in out
    await _assert_recovered(drill)
