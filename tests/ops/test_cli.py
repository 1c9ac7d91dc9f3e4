"""The `ecert` command as an operator runs it (a real subprocess, a real database)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.settings import test_environ

STAFF_ID = "500108197505050027"


def _ecert(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **test_environ(database_url=database_url), **env}
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_create_staff(database_url, role):
    extra = ["--authority", "500112"] if role == "reviewer" else []
    result = _ecert(
        database_url,
        "create-staff",
        "--role",
        role,
        "--name",
        "周审核",
        "--id-number",
        STAFF_ID,
        "--mobile",
        "13911112222",
        *extra,
        ECERT_STAFF_PASSWORD="Staff-Pass-2026!",
    )
    assert result.returncode == 0, result.stderr
    assert f"created {role} 周审核 (5001**********0027)" in result.stdout


def test_create_staff_refuses_unknown_authority(database_url):
    result = _ecert(
        database_url,
        "create-staff",
        "--role",
        "reviewer",
        "--name",
        "周审核",
        "--id-number",
        STAFF_ID,
        "--mobile",
        "13911112222",
        "--authority",
        "999999",
        ECERT_STAFF_PASSWORD="Staff-Pass-2026!",
    )
    assert result.returncode != 0 and "AUTHORITY_UNKNOWN" in result.stderr


def test_export_schema_check_matches_checked_in_sdl(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", "export-schema", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
