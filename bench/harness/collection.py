"""``bench/bench_collection.py`` run small (it measures its own baselines in the same run)
and its two ratio lines read back into outcomes of the table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.harness.config import ROOT, BenchConfig
from bench.harness.measure import Outcome

__all__ = ["collection_sizes", "parse_collection_table", "run_collection_bench"]


def collection_sizes(config: BenchConfig) -> tuple[int, int]:
    """(archive rows, title-system results) for the quick mode and the normal run."""
    return (5_000, 1_000) if config.quick else (20_000, 4_000)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_collection_table(markdown: str) -> list[Outcome]:
    """The import and generation rates with their baselines, from its markdown table."""
    copy = re.search(r"raw asyncpg COPY .*?\| ([\d,]+) rows/s \(([\d,]+)–([\d,]+)\)", markdown)
    copy_single = re.search(r"raw asyncpg COPY .*?\| ([\d,]+) rows/s", markdown)
    imported = re.search(r"\| `ecert import` of ([\d,]+) rows \| ([\d,]+) rows/s", markdown)
    ed25519 = re.search(r"raw Ed25519 signing .*?\| ([\d,]+) /s \(([\d,]+)–([\d,]+)\)", markdown)
    ed_single = re.search(r"raw Ed25519 signing .*?\| ([\d,]+) /s", markdown)
    generated = re.search(
        r"`ecert import --kind title-system --photos` \| ([\d,]+) certificates/s", markdown
    )
    outcomes: list[Outcome] = []
    if imported and (copy or copy_single):
        base = (
            [_number(copy.group(2)), _number(copy.group(3))]
            if copy
            else [
                _number(copy_single.group(1))  # type: ignore[union-attr]
            ]
        )
        outcomes.append(
            Outcome(
                kind="collection-import",
                label=f"collection: `ecert import` of {imported.group(1)} archive rows (PG) vs raw COPY",
                unit="rows/s",
                rates=[_number(imported.group(2))],
                baseline_rates=base,
                note="from bench/bench_collection.py (one import, COPY before and after)",
            )
        )
    if generated and (ed25519 or ed_single):
        base = (
            [_number(ed25519.group(2)), _number(ed25519.group(3))]
            if ed25519
            else [
                _number(ed_single.group(1))  # type: ignore[union-attr]
            ]
        )
        outcomes.append(
            Outcome(
                kind="collection-generation",
                label="automatic generation: `ecert import --kind title-system --photos` (PG) vs raw Ed25519",
                unit="certificates/s",
                rates=[_number(generated.group(1))],
                baseline_rates=base,
                note="from bench/bench_collection.py (one generation, signing before and after)",
            )
        )
    if not outcomes:
        raise RuntimeError("bench_collection.py printed no ratio lines")
    return outcomes


def run_collection_bench(config: BenchConfig, out_dir: Path) -> list[Outcome]:
    rows, generation = collection_sizes(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_collection.py"),
            "--rows",
            str(rows),
            "--generation-rows",
            str(generation),
            "--postgres",
            config.postgres,
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).split())[-300:]
        raise RuntimeError(f"bench_collection.py exited {done.returncode}: {tail}")
    reports = sorted(out_dir.glob("collection-*.md"))
    if not reports:
        raise RuntimeError("bench_collection.py wrote no report")
    return parse_collection_table(reports[-1].read_text(encoding="utf-8"))
