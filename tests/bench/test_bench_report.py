"""The markdown table: one row per scenario, a failed scenario as its one line."""

from __future__ import annotations

from bench.harness.config import BenchConfig
from bench.harness.measure import Outcome
from bench.harness.report import render
from bench.harness.runner import BenchRun, ServerMemory
from bench.harness.wrk import WrkResult


def _run(rps: float, p99: float) -> WrkResult:
    return WrkResult(rps, p99 / 2, p99, int(rps * 10), 0, 0)


def test_the_table_has_ratios_targets_memory_and_failures() -> None:
    run = BenchRun(BenchConfig.from_env({"BENCH_QUICK": "1"}))
    run.outcomes = [
        Outcome(
            kind="verify-json",
            label="`/V/…` JSON (PG)",
            ecert=[_run(412, 180)],
            baseline=[_run(4728, 20)],
        ),
        Outcome(kind="approvals", label="approvals (PG)", unit="/s", rates=[15.0]),
        Outcome(kind="holder-qr", label="holder QR PNG (PG)", error="RuntimeError: boom"),
    ]
    run.memory = [ServerMemory("ecert, 1 worker (PG)", 78.0, 80.0)]
    run.failures = ["SQLite: RuntimeError: no disk"]
    text = render(run, "20261201T000000Z")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| scenario | ecert median req/s |")
    verify = next(r for r in rows if r.startswith("| `/V/…` JSON (PG)"))
    assert "| 412 |" in verify and "| 4,728 |" in verify and "| 0.087 |" in verify
    assert "≥ 0.6; p99 ≤ 3×" in verify and "**no**" in verify and "9.0×" in verify
    assert "15.0 /s" in next(r for r in rows if r.startswith("| approvals (PG)"))
    assert "failed: RuntimeError: boom" in next(r for r in rows if "holder QR" in r)
    assert "idle 78 MiB, peak 80 MiB" in text
    assert "- SQLite: RuntimeError: no disk" in text
    assert "- Machine: " in text and "- Versions: Python " in text
