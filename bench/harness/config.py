"""The bench's knobs, from the environment (``make bench`` passes them through)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BenchConfig"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    rounds: int
    duration_s: float
    warmup_s: float
    certificates: int
    approvals_per_round: int
    postgres: str
    backends: tuple[str, ...]
    only: tuple[str, ...]  # scenario kinds to run (empty: all)
    collection: bool
    out_dir: Path
    rebuild: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> BenchConfig:
        """``BENCH_QUICK=1``: 1 round of 3 s on 20,000 certificates (a smoke run).
        ``BENCH_DURATION`` (s), ``BENCH_ROUNDS``, ``BENCH_CERTIFICATES``, ``BENCH_APPROVALS``
        (per round), ``BENCH_BACKENDS`` (postgres,sqlite), ``BENCH_ONLY`` (scenario kinds,
        e.g. verify-json,approvals), ``BENCH_COLLECTION=0`` (skip bench_collection.py),
        ``BENCH_REBUILD=1`` (build the data set again), ``BENCH_OUT`` (results directory),
        ``ECERT_TEST_POSTGRES_URL`` / ``BENCH_POSTGRES``: the PostgreSQL server."""
        e = os.environ if env is None else env
        quick = e.get("BENCH_QUICK", "") not in ("", "0")
        duration = float(e.get("BENCH_DURATION", "3" if quick else "10"))
        backends = tuple(
            b.strip() for b in e.get("BENCH_BACKENDS", "postgres,sqlite").split(",") if b.strip()
        )
        unknown = set(backends) - {"postgres", "sqlite"}
        if unknown:
            raise ValueError(f"BENCH_BACKENDS: unknown {sorted(unknown)} (postgres, sqlite)")
        return cls(
            quick=quick,
            rounds=int(e.get("BENCH_ROUNDS", "1" if quick else "3")),
            duration_s=duration,
            warmup_s=float(e.get("BENCH_WARMUP", str(min(3.0, duration)))),
            certificates=int(e.get("BENCH_CERTIFICATES", "20000" if quick else "100000")),
            approvals_per_round=int(e.get("BENCH_APPROVALS", "10" if quick else "40")),
            postgres=(
                e.get("BENCH_POSTGRES")
                or e.get("ECERT_TEST_POSTGRES_URL")
                or "postgres://postgres@127.0.0.1:5432"
            ).rstrip("/"),
            backends=backends,
            only=tuple(k.strip() for k in e.get("BENCH_ONLY", "").split(",") if k.strip()),
            collection=e.get("BENCH_COLLECTION", "1") not in ("0", ""),
            out_dir=Path(e.get("BENCH_OUT", str(ROOT / "bench" / "results"))),
            rebuild=e.get("BENCH_REBUILD", "") not in ("", "0"),
        )

    def wants(self, kind: str) -> bool:
        return not self.only or kind in self.only
