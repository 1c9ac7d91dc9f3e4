"""The markdown table of a bench run, with the machine, versions, commit and data set."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.harness.config import ROOT
from bench.harness.measure import Outcome
from bench.harness.runner import BenchRun

__all__ = ["machine_line", "render", "write_report"]

_PACKAGES = ("uvicorn", "starlette", "strawberry-graphql", "tortoise-orm", "asyncpg", "aiosqlite")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ram_gib() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kib = int(info.readline().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "RAM unknown"


def machine_line() -> str:
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_ram_gib()}, "
        f"{platform.system()} {platform.release()}"
    )


def _wrk_version() -> str:
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    except OSError:
        return "wrk ?"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0].split(" [")[0] if text else "wrk ?"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _versions(run: BenchRun) -> str:
    parts = [f"Python {platform.python_version()}"]
    for package in _PACKAGES:
        try:
            parts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    if run.postgres_version:
        parts.append(f"PostgreSQL {run.postgres_version}")
    parts += [f"SQLite {run.sqlite_version}", _wrk_version()]
    return ", ".join(parts)


_APP_DIRS = ("graphql_api", "schema", "crypto", "verify_page")


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return "—"
    return f"{_rate(min(values))}–{_rate(max(values))}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} ms"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _met(outcome: Outcome) -> str:
    met = outcome.met()
    return "—" if met is None else ("yes" if met else "**no**")


def _row(o: Outcome) -> str:
    if o.error:
        return f"| {o.label} | failed: {o.error} | | | | {o.target.describe()} | | | | | |"
    unit = "" if o.unit == "req/s" else f" {o.unit}"
    p99 = o.p99_ratio()
    notes = "; ".join(n for n in (o.note, o.unclean()) if n)
    return (
        f"| {o.label} | {_rate(o.median())}{unit} | {_spread(o.ecert_rates())} | "
        f"{_rate(o.baseline_median())} | {_ratio(o.ratio())} | {o.target.describe()} | "
        f"{_met(o)} | {_ms(o.p99())} | {_ms(o.baseline_p99())} | "
        f"{'—' if p99 is None else f'{p99:.1f}×'} | {notes} |"
    )


def render(run: BenchRun, stamp: str) -> str:
    cfg = run.config
    ds = run.dataset
    elapsed = time.monotonic() - run.started
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = (
        " (uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    )
    lines = [
        f"# ecert benchmark ({stamp})",
        "",
        f"`make bench`{' (BENCH_QUICK=1)' if cfg.quick else ''}: wrk -t2 -c32 -d{cfg.duration_s:g}s "
        f"--latency, {cfg.rounds} round(s) per scenario interleaved with its baseline after a "
        f"{cfg.warmup_s:g} s warm-up; one uvicorn worker pinned to core 0 (taskset), wrk on "
        "core 1, everything on 127.0.0.1; ecert with production settings (ECERT_ENV=production, "
        "generated secrets, uvicorn access log off; the per-client /graphql limit raised so "
        "it never trips). Medians over rounds; spread = min–max; p99 = median of the rounds' "
        "p99. Ratios against the baseline measured in the same run are the contract.",
        "",
        f"- Machine: {machine_line()}",
        f"- Versions: {_versions(run)}",
        f"- Commit: {commit}{dirty} on branch {_git('rev-parse', '--abbrev-ref', 'HEAD')}; "
        f"application code (graphql_api, schema, crypto, verify_page) last changed in "
        f"{_git('log', '-1', '--format=%h %s', '--', *_APP_DIRS)[:90]}",
        f"- Load average (1, 5, 15 min) at the start: {_load(run.load_at_start)}; at the end: "
        f"{_load(os.getloadavg())}",
    ]
    if ds is not None:
        lines.append(
            f"- Data set: {ds.certificates:,} issued certificates per database (cache key "
            f"{ds.key}; built in {', '.join(f'{k} {v:g} s' for k, v in ds.build_seconds.items())}); "
            "verification paths drawn at random from "
            f"{sum(1 for _ in ds.paths_file(cfg.backends[0]).open(encoding='utf-8')):,} certificates"
        )
    for m in run.memory:
        lines.append(f"- RSS of {m.label}: idle {m.idle_mib:.0f} MiB, peak {m.peak_mib:.0f} MiB")
    lines.append(f"- Total bench time: {elapsed / 60:.1f} min")
    lines += [
        "",
        "| scenario | ecert median req/s | spread | baseline median req/s | ratio | target | met | "
        "ecert p99 | baseline p99 | p99 ratio | notes |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---:|---|",
        *(_row(o) for o in run.outcomes),
        "",
        "Baselines: `/V/…` — a bare Starlette route fetching one row of the same `certificate` "
        "table by primary key with raw asyncpg (PG) / aiosqlite (SQLite), returned as JSON; "
        "GraphQL — a stock `strawberry.Schema` of the same shape resolving from memory, served "
        "by Strawberry's Starlette `GraphQL` app (no extensions, no caches); QR — a bare "
        "Starlette JSON route. Collection rows come from `bench/bench_collection.py` (its own "
        "baselines, same run).",
    ]
    if run.failures:
        lines += ["", "Set-up failures:", *(f"- {f}" for f in run.failures)]
    return "\n".join(lines) + "\n"


def write_report(run: BenchRun, *, suffix: str = "") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = render(run, stamp)
    run.config.out_dir.mkdir(parents=True, exist_ok=True)
    target = run.config.out_dir / f"bench-{stamp}{suffix}.md"
    target.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {target}")
    return target
