"""`ecert serve --workers N`: several uvicorn worker processes, each building the app from
the same environment (docs/scaling.md), and a bad count refused in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.ops.test_cli_errors import free_port, one_line, run_ecert  # noqa: F401 (fixture)
from tests.support.settings import test_environ

ECERT = str(Path(sys.executable).with_name("ecert"))


def _is_start(line: str) -> bool:
    """A JSON log line of a worker's app starting (``ecert.app``: "ecert started")."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("message") == "ecert started"


def _wait_ready(port: int, deadline: float) -> dict[str, object]:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                return dict(json.loads(resp.read()))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_two_workers_each_start_the_app(tmp_path: Path, free_port: int) -> None:  # noqa: F811
    data_dir = tmp_path / "data"
    url = f"sqlite://{tmp_path / 'ecert.sqlite3'}"
    migrated = run_ecert(["migrate"], database_url=url, data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    server = subprocess.Popen(
        [ECERT, "serve", "--workers", "2", "--port", str(free_port)],
        env={**os.environ, **test_environ(database_url=url, data_dir=str(data_dir))},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    both_started = threading.Event()

    def read() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            lines.append(line)
            if sum(map(_is_start, lines)) >= 2:
                both_started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert _wait_ready(free_port, time.monotonic() + 60)["status"] == "ready"
        both_started.wait(timeout=60)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        reader.join(timeout=10)
        assert server.stdout is not None
        server.stdout.close()
    log = "".join(lines)
    assert sum(map(_is_start, lines)) == 2, log[-3000:]
    assert server.returncode == 0, log[-3000:]


def test_worker_count_out_of_range_is_one_line(tmp_path: Path) -> None:
    result = run_ecert(
        ["serve"],
        database_url=f"sqlite://{tmp_path / 'ecert.sqlite3'}",
        data_dir=tmp_path / "data",
        ECERT_WORKERS="0",
    )
    assert one_line(result) == "ecert: configuration error: ECERT_WORKERS must be between 1 and 64"
