"""Misconfigurations as an operator meets them: the real `ecert` binary, one stderr line,
exit status 2, and never a hang (every run has a timeout; Ctrl-C ends a stuck one)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import PG_ADMIN_URL
from tests.support.mounts import tmpfs
from tests.support.settings import test_environ

ECERT = str(Path(sys.executable).with_name("ecert"))
TIMEOUT = 40  # seconds: far above the 15 s connect backstop; a hang fails the test

# Every command that opens the database or writes under the data directory.
COMMANDS = {
    "migrate": ["migrate"],
    "serve": ["serve", "--port", "0"],
    "create-staff": [
        "create-staff", "--role", "admin", "--name", "王管理",
        "--id-number", "500101198802290019", "--mobile", "13911112222",
    ],
    "keys list": ["keys", "list"],
    "keys rotate": ["keys", "rotate"],
    "import": ["import", "rows.csv"],
    "worker": ["worker"],
    "backup": ["backup", "out-backup"],
}  # fmt: skip


def run_ecert(
    args: list[str], *, database_url: str, data_dir: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        **test_environ(database_url=database_url, data_dir=str(data_dir)),
        "ECERT_STAFF_PASSWORD": "Staff-Pass-2026!",
        **env,
    }
    return subprocess.run(
        [ECERT, *args],
        env=environ,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused command (exit status 2)."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr)
    assert lines[0].startswith("ecert: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a wedged database)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


# ------------------------------------------------------------------ every command, three faults


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreachable_postgres_is_one_line(command: str, data_dir: Path, free_port: int) -> None:
    url = f"postgres://postgres@127.0.0.1:{free_port}/ecert"
    line = one_line(run_ecert(COMMANDS[command], database_url=url, data_dir=data_dir))
    assert line == (
        f'ecert: PostgreSQL database "ecert" at 127.0.0.1:{free_port}: connection refused '
        "(is PostgreSQL running and listening there?)"
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_missing_sqlite_directory_is_one_line(command: str, data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "ecert.sqlite3"
    line = one_line(run_ecert(COMMANDS[command], database_url=f"sqlite://{path}", data_dir=data_dir))
    assert line == (
        f"ecert: cannot open SQLite database {path}: directory {path.parent} does not exist"
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_data_dir_that_is_a_file_is_one_line(command: str, tmp_path: Path) -> None:
    data_file = tmp_path / "data"
    data_file.write_text("not a directory")
    url = f"sqlite://{tmp_path / 'ecert.sqlite3'}"
    line = one_line(run_ecert(COMMANDS[command], database_url=url, data_dir=data_file))
    assert line == f"ecert: data directory: {data_file} is not a directory"


# ------------------------------------------------------------------ each fault, on migrate


def test_missing_postgres_database(pg_available: bool, data_dir: Path) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    name = f"ecert_missing_{os.getpid()}"
    line = one_line(run_ecert(["migrate"], database_url=f"{PG_ADMIN_URL}/{name}", data_dir=data_dir))
    assert line.endswith(f'database "{name}" at 127.0.0.1:5432: the database does not exist (create it first)')


def test_missing_postgres_role(pg_available: bool, data_dir: Path) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    url = "postgres://no_such_role_ecert@127.0.0.1:5432/postgres"
    line = one_line(run_ecert(["keys", "list"], database_url=url, data_dir=data_dir))
    assert line.endswith('login refused: role "no_such_role_ecert" does not exist')


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://postgres@[::1/ecert", "ecert: configuration error: ECERT_DATABASE_URL: Invalid IPv6 URL"),
        ("mysql://root@db/ecert", "ecert: configuration error: ECERT_DATABASE_URL must be a sqlite:// or postgres:// (postgresql://) URL"),
        ("postgres://db/ecert?sslmode=maybe", "ecert: configuration error: ECERT_DATABASE_URL: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full"),
    ],
)  # fmt: skip
def test_bad_database_url(url: str, expected: str, data_dir: Path) -> None:
    assert one_line(run_ecert(["migrate"], database_url=url, data_dir=data_dir)) == expected


def test_missing_secret_file(data_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "run" / "secrets" / "signing"
    result = run_ecert(
        ["serve"],
        database_url=f"sqlite://{tmp_path / 'ecert.sqlite3'}",
        data_dir=data_dir,
        ECERT_SIGNING_PASSPHRASE="",
        ECERT_SIGNING_PASSPHRASE_FILE=str(missing),
    )
    assert one_line(result) == (
        f"ecert: configuration error: ECERT_SIGNING_PASSPHRASE_FILE: cannot read {missing}: "
        "No such file or directory"
    )


def test_read_only_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with tmpfs(data_dir, read_only=True):
        result = run_ecert(
            ["migrate"], database_url=f"sqlite://{data_dir / 'ecert.sqlite3'}", data_dir=data_dir
        )
    assert one_line(result) == f"ecert: data directory: {data_dir}: Read-only file system"


def test_sqlite_file_on_a_read_only_mount(tmp_path: Path) -> None:
    """The data dir is writable; the database's own directory is not (a mount-time mistake)."""
    db_dir = tmp_path / "db"
    with tmpfs(db_dir, read_only=True):
        result = run_ecert(
            ["keys", "list"],
            database_url=f"sqlite://{db_dir / 'ecert.sqlite3'}",
            data_dir=tmp_path / "data",
        )
    assert one_line(result) == (
        f"ecert: cannot open SQLite database {db_dir / 'ecert.sqlite3'}: "
        f"directory {db_dir} is on a read-only file system"
    )


def test_unmigrated_database_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'empty.sqlite3'}"
    line = one_line(run_ecert(["keys", "list"], database_url=url, data_dir=tmp_path / "data"))
    assert line == (
        "ecert: database error: no such table: signing_key "
        "(has `ecert migrate` been run on this database?)"
    )


# ------------------------------------------------------------------ no hang


def test_a_database_that_never_answers_times_out_in_one_line(
    silent_server: int, data_dir: Path
) -> None:
    url = f"postgres://postgres@127.0.0.1:{silent_server}/ecert?sslmode=disable"
    # run_ecert's own timeout fails the test if the command hangs.
    line = one_line(run_ecert(["migrate"], database_url=url, data_dir=data_dir))
    assert line == (
        f'ecert: PostgreSQL database "ecert" at 127.0.0.1:{silent_server}: no answer within '
        "15 s (wrong host or port, or a firewall dropping packets?)"
    )


def test_ctrl_c_ends_a_command_waiting_on_the_database(
    silent_server: int, data_dir: Path
) -> None:
    url = f"postgres://postgres@127.0.0.1:{silent_server}/ecert?sslmode=disable"
    environ = {**os.environ, **test_environ(database_url=url, data_dir=str(data_dir))}
    proc = subprocess.Popen(
        [ECERT, "migrate"], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(3)  # well inside the wait for the database
    proc.send_signal(signal.SIGINT)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()  # and the pipes are closed
        pytest.fail(f"ecert migrate survived Ctrl-C; it wrote: {stderr!r}")
    assert proc.returncode == 130 and stderr.splitlines() == ["ecert: interrupted"]


# A command whose clean-up never ends: the task swallows its cancellation and waits on.
_STUCK_COMMAND = """
import asyncio, signal, sys
from graphql_api import cli

async def stuck():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("cancelled", flush=True)

def command(args):
    asyncio.run(stuck())

signal.signal(signal.SIGINT, cli._on_interrupt)
try:
    command(None)
except KeyboardInterrupt:
    cli._exit_interrupted()
"""


def test_one_ctrl_c_ends_a_command_even_when_its_clean_up_hangs() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUCK_COMMAND],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    time.sleep(2)  # the event loop is running
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("one Ctrl-C did not end a command whose clean-up hangs")
    assert proc.returncode == 130, stderr
    assert stdout.splitlines()[:1] == ["cancelled"], "the clean-up was given its chance"
    assert stderr.splitlines() == ["ecert: interrupted"]


def test_migrate_on_a_good_database_still_works(tmp_path: Path) -> None:
    result = run_ecert(
        ["migrate"], database_url=f"sqlite://{tmp_path / 'ecert.sqlite3'}", data_dir=tmp_path / "d"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("migrations applied (latest)")
