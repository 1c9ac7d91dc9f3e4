"""Collection at scale, measured as ratios to raw baselines in the same run.

1. ``ecert import`` (the real command, a child process) loads historical archive files of
   10k, 100k and N rows (default 1,000,000) into fresh PostgreSQL databases; its rows/s is
   compared with raw asyncpg ``COPY`` of the same good rows into the same tables, run just
   before and just after it; its peak RSS is read at each size (flat memory: at N rows less
   than twice the RSS at 10k).
2. Automatic generation: ``ecert import --kind title-system --photos`` issues G signed
   certificates (default 100,000); its certificates/s is compared with raw Ed25519 signing
   of the same payloads, run before and after it.

Writes a markdown table to ``bench/results/collection-<UTC stamp>.md`` and prints it::

    python bench/bench_collection.py [--rows 1000000] [--generation-rows 100000]
        [--postgres postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collection_baselines import copy_baseline, ed25519_baseline, signing_payloads
from collection_data import generate, write_csv, write_photos_zip

ROOT = Path(__file__).resolve().parent.parent
ECERT = [sys.executable, "-m", "graphql_api.cli"]


@dataclass
class ImportRun:
    rows: int
    wall_s: float
    job_s: float
    rows_per_s: float
    peak_rss_mib: float
    created: int
    issued: int
    existing: int
    refused: int


async def _admin(url: str, *sql: str) -> None:
    conn = await asyncpg.connect(f"{url}/postgres")
    try:
        for statement in sql:
            await conn.execute(statement)
    finally:
        await conn.close()


def _fresh_db(base: str, name: str, data_dir: Path) -> tuple[str, dict[str, str]]:
    asyncio.run(
        _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    )
    url = f"{base}/{name}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ECERT_DATABASE_URL": url, "ECERT_DATA_DIR": str(data_dir)}
    subprocess.run([*ECERT, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    return url, env


async def _job_stats(url: str) -> tuple[int, float, int, int, int, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT rows_done, EXTRACT(EPOCH FROM finished_at - started_at)::float AS s, "
            "created_count, issued_count, existing_count, refused_count, status "
            "FROM import_job ORDER BY id DESC LIMIT 1"
        )
    finally:
        await conn.close()
    assert row is not None and row["status"] == "DONE", row
    return (
        row["rows_done"],
        row["s"],
        row["created_count"],
        row["issued_count"],
        row["existing_count"],
        row["refused_count"],
    )


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (the reader child included)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    stack.extend(int(k) for k in kids.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _run_import(env: dict[str, str], args: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``ecert import`` as a child; wall seconds and the peak RSS (MiB) of the child and
    its descendants, sampled every 0.2 s."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*ECERT, "import", *args, "--quiet"],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_mib(proc.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - started
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"ecert import failed: {err.decode().strip() or out.decode().strip()}")
    return wall, peak


def _import(base: str, name: str, work: Path, file: Path, extra: list[str]) -> ImportRun:
    url, env = _fresh_db(base, name, work / name)
    wall, rss = _run_import(env, [str(file), *extra], work / name)
    rows, job_s, created, issued, existing, refused = asyncio.run(_job_stats(url))
    asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return ImportRun(rows, wall, job_s, rows / job_s, rss, created, issued, existing, refused)


def _historical(n: int, path: Path) -> list[dict[str, str]]:
    data = generate("historical", n, seed=7, bad_share=0.02)
    rows = list(data.rows())
    write_csv(path, rows)
    return [r for i, r in enumerate(rows) if i not in data.bad_rows]


def _spread(values: list[float]) -> str:
    if len(values) < 2:
        return "—"
    return f"{min(values):,.0f}–{max(values):,.0f}"


def _machine(base: str) -> list[str]:
    async def server_version() -> str:
        conn = await asyncpg.connect(f"{base}/postgres")
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("tortoise-orm", "asyncpg", "procrastinate", "cryptography", "pillow")
    )
    return [
        f"- Machine: {platform.node()}, {cpu}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, PostgreSQL {asyncio.run(server_version())}, "
        f"{versions}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--generation-rows", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    base = args.postgres.rstrip("/")
    sizes = sorted({min(10_000, args.rows), min(100_000, args.rows), args.rows})
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ecert-bench-") as tmp:
        work = Path(tmp)
        print(f"generating historical files: {sizes}", flush=True)
        files = {n: work / f"historical-{n}.csv" for n in sizes}
        good: dict[int, list[dict[str, str]]] = {n: _historical(n, files[n]) for n in sizes}

        runs: dict[int, ImportRun] = {}
        copies: list[float] = []

        def copy_once() -> None:
            url, _ = _fresh_db(base, "ecert_bench_copy", work / "copy")
            copies.append(asyncio.run(copy_baseline(url, good[args.rows], cleanup=False)))
            asyncio.run(_admin(base, 'DROP DATABASE IF EXISTS "ecert_bench_copy" WITH (FORCE)'))
            print(f"COPY baseline: {copies[-1]:,.0f} rows/s", flush=True)

        for n in sizes:
            if n == args.rows:
                copy_once()  # the baseline just before and just after the biggest import
            print(f"ecert import: {n:,} rows", flush=True)
            runs[n] = _import(base, f"ecert_bench_import_{n}", work, files[n], [])
            print(f"  {runs[n].rows_per_s:,.0f} rows/s, peak RSS {runs[n].peak_rss_mib:.0f} MiB")
        copy_once()
        big = runs[args.rows]
        copy_median = statistics.median(copies)

        g = args.generation_rows
        print(f"generating {g:,} title-system results with photos", flush=True)
        data = generate("title-system", g, seed=11, bad_share=0.02)
        results = list(data.rows())
        write_csv(work / "results.csv", results)
        write_photos_zip(
            work / "photos.zip",
            [r["公民身份号码"] for r in results],
            bad_share=0.02,
            seed=11,
        )
        good_results = [r for i, r in enumerate(results) if i not in data.bad_rows]
        payloads = signing_payloads(good_results)
        signs = [ed25519_baseline(payloads)]
        print(f"Ed25519 baseline: {signs[-1]:,.0f} signatures/s", flush=True)
        gen = _import(
            base,
            "ecert_bench_generation",
            work,
            work / "results.csv",
            ["--kind", "title-system", "--photos", str(work / "photos.zip")],
        )
        signs.append(ed25519_baseline(payloads))
        issued_per_s = gen.issued / gen.job_s
        print(f"generation: {issued_per_s:,.0f} certificates/s ({gen.issued:,} issued)")
        sign_median = statistics.median(signs)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines += [
        f"# Collection benchmark ({stamp})",
        "",
        f"Command: `python bench/bench_collection.py --rows {args.rows} "
        f"--generation-rows {args.generation_rows}` (PostgreSQL, `ecert import` as a child "
        "process; baselines in the same run).",
        "",
        *_machine(base),
        "",
        "## Historical archive rows through `ecert import`",
        "",
        "| rows in file | loaded | already on record | refused | job rows/s | wall s | peak RSS MiB (process tree) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {n:,} | {r.created:,} | {r.existing:,} | {r.refused:,} | {r.rows_per_s:,.0f} | "
            f"{r.wall_s:,.1f} | {r.peak_rss_mib:,.0f} |"
            for n, r in runs.items()
        ),
        "",
        "| measure | value |",
        "|---|---:|",
        f"| raw asyncpg COPY of the same {len(good[args.rows]):,} good rows (median, spread) "
        f"| {copy_median:,.0f} rows/s ({_spread(copies)}) |",
        f"| `ecert import` of {args.rows:,} rows | {big.rows_per_s:,.0f} rows/s |",
        f"| **ratio import / COPY** (target ≥ 0.25) | **{big.rows_per_s / copy_median:.3f}** |",
        f"| **RSS at {args.rows:,} / RSS at {sizes[0]:,}** (target < 2) | "
        f"**{big.peak_rss_mib / runs[sizes[0]].peak_rss_mib:.2f}** |",
        "",
        "## Automatic generation of title-system results with photos",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| results in file / issued / 待完善 (failing photo) / refused | {g:,} / {gen.issued:,} / "
        f"{gen.created - gen.issued:,} / {gen.refused:,} |",
        f"| raw Ed25519 signing of the same payloads (median, spread) | "
        f"{sign_median:,.0f} /s ({_spread(signs)}) |",
        f"| `ecert import --kind title-system --photos` | {issued_per_s:,.0f} certificates/s |",
        f"| **ratio generation / Ed25519** (target ≥ 0.15) | **{issued_per_s / sign_median:.3f}** |",
        f"| peak RSS | {gen.peak_rss_mib:,.0f} MiB |",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"collection-{stamp}.md"
    target.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
