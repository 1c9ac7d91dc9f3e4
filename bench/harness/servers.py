"""uvicorn servers for the bench: started pinned to a core, on 127.0.0.1 only, and always
stopped (``stop_all`` at exit, on Ctrl-C and on SIGTERM)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Server", "free_port", "start_server", "stop_all", "tree_rss_mib"]

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
_RUNNING: list[Server] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                kids.extend(int(k) for k in f.read().split())
    return kids


def _status_kib(pid: int, field_name: str) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def tree_rss_mib(pid: int, *, peak: bool = False) -> float:
    """Resident memory (or the sum of high-water marks, ``peak``) of a process and its
    descendants (uvicorn's supervisor and its workers), multiprocessing helpers left out."""
    name = "VmHWM" if peak else "VmRSS"
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        if current != pid and _is_multiprocessing_helper(current):
            continue
        total += _status_kib(current, name)
        stack.extend(_children(current))
    return total / 1024


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by one process (0 once it is gone)."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by a process and its descendants."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += _cpu_seconds(current)
        stack.extend(_children(current))
    return total


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (all cores, idle and iowait left out)."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]  # up to steal; minus idle, iowait
    return busy / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the machine's running PostgreSQL processes."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as f:
                if f.read().strip() != "postgres":
                    continue
            total += _cpu_seconds(int(entry))
    return total


def _is_multiprocessing_helper(pid: int) -> bool:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
        return b"resource_tracker" in f.read()
    return False


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    workers: int
    rss_samples: list[float] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def rss_mib(self) -> float:
        return tree_rss_mib(self.process.pid)

    def peak_rss_mib(self) -> float:
        return tree_rss_mib(self.process.pid, peak=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self in _RUNNING:
            _RUNNING.remove(self)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])


def start_server(
    name: str,
    factory: str,
    *,
    env: dict[str, str],
    log_dir: Path,
    cores: str = "0",
    workers: int = 1,
    ready_path: str = "/healthz",
    timeout: float = 60.0,
) -> Server:
    """``uvicorn --factory <factory>`` on 127.0.0.1, pinned with taskset to ``cores``, access
    log off; waits until ``ready_path`` answers (any HTTP status)."""
    port = free_port()
    log = log_dir / f"{name}.log"
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--no-server-header",
        "--no-proxy-headers",  # as `ecert serve` (proxy_headers=False)
        "--log-level",
        "warning",
        "--lifespan",
        "on",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", cores, *command]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, port, process, log, workers)
    _RUNNING.append(server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start: {server.log_tail()}")
        try:
            with urllib.request.urlopen(server.base + ready_path, timeout=2):
                pass
        except urllib.error.HTTPError:
            pass  # it answers
        except OSError:
            time.sleep(0.2)
            continue
        if workers > 1:
            _wait_workers(server, workers, deadline)
        return server
    server.stop()
    raise RuntimeError(f"{name} did not answer within {timeout:.0f}s: {server.log_tail()}")


def _wait_workers(server: Server, workers: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        kids = [k for k in _children(server.process.pid) if not _is_multiprocessing_helper(k)]
        if len(kids) >= workers:
            time.sleep(2.0)  # let every worker finish its lifespan start-up
            return
        time.sleep(0.2)


def stop_all() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()


def _on_signal(signum: int, frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop every server at exit and on SIGTERM/SIGHUP (Ctrl-C raises KeyboardInterrupt,
    which unwinds into the caller's ``finally`` and then ``atexit``)."""
    atexit.register(stop_all)
    # A shell's background job starts with SIGINT ignored; Ctrl-C must reach us anyway.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
