"""wrk: installed when missing, Lua scripts for the scenarios, one run parsed into numbers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "WrkResult",
    "ensure_wrk",
    "get_paths_script",
    "parse_wrk",
    "post_script",
    "random_row_script",
    "run_wrk",
]

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class WrkError(RuntimeError):
    """wrk could not run or measured nothing."""


def ensure_wrk() -> str:
    """The wrk binary, installed with apt-get (sudo when not root) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    print("[bench] wrk missing: apt-get install -y wrk", flush=True)
    for command in (
        [*sudo, "apt-get", "update", "-qq"],
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise WrkError(
                "wrk is missing and could not be installed "
                f"({' '.join(command)}: {done.stderr.strip()[-200:]}); install wrk and rerun"
            )
    found = shutil.which("wrk")
    if not found:
        raise WrkError("wrk is still missing after apt-get install wrk")
    return found


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    @property
    def clean(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise WrkError(f"unreadable latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The numbers of ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise WrkError("wrk printed no result: " + " ".join(output.split())[-200:])
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    *,
    duration_s: float,
    threads: int = 2,
    connections: int = 32,
    core: str | None = "1",
) -> WrkResult:
    """One wrk run on ``core`` (taskset), ``--latency``, a 10 s request timeout."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    if core is not None and shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    if done.returncode != 0:
        raise WrkError(f"wrk failed: {(done.stderr or done.stdout).strip()[-200:]}")
    return parse_wrk(done.stdout)


def _lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Lua string here


def _headers_lua(headers: dict[str, str]) -> str:
    return (
        "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()) + "}"
    )


_SEED = (
    'math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000))\n'
)


def get_paths_script(target: Path, paths_file: Path, headers: dict[str, str]) -> Path:
    """GET a path picked at random (per request) from ``paths_file`` (one per line)."""
    target.write_text(
        f"local paths = {{}}\n"
        f"for line in io.lines({_lua_string(str(paths_file))}) do\n"
        f"  if #line > 0 then paths[#paths + 1] = line end\n"
        f"end\n"
        f"local headers = {_headers_lua(headers)}\n" + _SEED + "request = function()\n"
        '  return wrk.format("GET", paths[math.random(#paths)], headers)\n'
        "end\n",
        encoding="utf-8",
    )
    return target


def random_row_script(target: Path, prefix: str, low: int, high: int) -> Path:
    """GET ``prefix<n>`` with n random in [low, high]."""
    target.write_text(
        _SEED + "request = function()\n"
        f'  return wrk.format("GET", {_lua_string(prefix)} .. math.random({low}, {high}))\n'
        "end\n",
        encoding="utf-8",
    )
    return target


def post_script(target: Path, body: str, headers: dict[str, str]) -> Path:
    """POST the same ``body`` every time."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def fixed_get_script(target: Path, headers: dict[str, str]) -> Path:
    """GET the URL given to wrk, with ``headers``."""
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
