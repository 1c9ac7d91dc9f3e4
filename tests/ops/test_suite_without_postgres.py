"""`make test` on a machine without PostgreSQL: the PostgreSQL half is skipped and the
summary says so plainly; with ECERT_REQUIRE_POSTGRES=1 (CI) the same run fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/services/test_accounts.py::test_lower_case_x_is_accepted_and_normalised"


def _pytest(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "ECERT_REQUIRE_POSTGRES"}
    # Port 1 on loopback: nothing listens there, so the probe fails at once.
    environ["ECERT_TEST_POSTGRES_URL"] = "postgres://postgres@127.0.0.1:1"
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_TEST],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_without_postgres_the_summary_says_the_half_did_not_run():
    result = _pytest()
    assert result.returncode == 0, result.stdout[-2000:]
    assert "1 passed, 1 skipped" in result.stdout
    assert "the PostgreSQL half did NOT run" in result.stdout


def test_ci_fails_when_postgres_is_required_but_missing():
    result = _pytest(ECERT_REQUIRE_POSTGRES="1")
    assert result.returncode != 0
    assert "ECERT_REQUIRE_POSTGRES=1" in result.stdout
