"""One scenario measured: a warm-up, then rounds of wrk on ecert interleaved with its
baseline in the same run (baseline, ecert; ecert, baseline; …)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.targets import TARGETS, Target
from bench.harness.wrk import WrkResult, run_wrk

__all__ = ["Load", "Outcome", "measure_pair"]


@dataclass(frozen=True)
class Load:
    """What wrk sends to one server."""

    base: str  # http://127.0.0.1:port
    script: Path
    path: str = "/"  # the URL's path (the scripts that pick paths ignore it)


@dataclass
class Outcome:
    """A scenario's measurements (or the one line saying why it failed)."""

    kind: str
    label: str
    unit: str = "req/s"
    ecert: list[WrkResult] = field(default_factory=list)
    baseline: list[WrkResult] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)  # scenarios measured without wrk
    baseline_rates: list[float] = field(default_factory=list)
    error: str | None = None
    note: str = ""
    workers: int = 1

    @property
    def target(self) -> Target:
        return TARGETS.get(self.kind, Target())

    def ecert_rates(self) -> list[float]:
        return self.rates or [r.requests_per_s for r in self.ecert]

    def median(self) -> float | None:
        rates = self.ecert_rates()
        return statistics.median(rates) if rates else None

    def baseline_median(self) -> float | None:
        rates = self.baseline_rates or [r.requests_per_s for r in self.baseline]
        return statistics.median(rates) if rates else None

    def ratio(self) -> float | None:
        e, b = self.median(), self.baseline_median()
        return e / b if e is not None and b else None

    def p99(self) -> float | None:
        return statistics.median([r.p99_ms for r in self.ecert]) if self.ecert else None

    def baseline_p99(self) -> float | None:
        return statistics.median([r.p99_ms for r in self.baseline]) if self.baseline else None

    def p99_ratio(self) -> float | None:
        e, b = self.p99(), self.baseline_p99()
        return e / b if e is not None and b else None

    def unclean(self) -> str:
        """Errors wrk saw (non-2xx answers, socket errors), which make a rate meaningless."""
        bad = [
            f"{who}: {r.non_2xx} non-2xx, {r.socket_errors} socket errors"
            for who, runs in (("ecert", self.ecert), ("baseline", self.baseline))
            for r in runs
            if not r.clean
        ]
        return "; ".join(dict.fromkeys(bad))

    def met(self) -> bool | None:
        t = self.target
        checks: list[bool] = []
        if t.ratio is not None and (ratio := self.ratio()) is not None:
            checks.append(ratio >= t.ratio)
        if t.p99_ratio is not None and (p99 := self.p99_ratio()) is not None:
            checks.append(p99 <= t.p99_ratio)
        if t.per_second is not None and (m := self.median()) is not None:
            checks.append(m >= t.per_second)
        return all(checks) if checks else None


def measure_pair(
    outcome: Outcome,
    wrk: str,
    ecert: Load,
    baseline: Load,
    *,
    rounds: int,
    duration_s: float,
    warmup_s: float,
    wrk_core: str | None = "1",
    progress: Callable[[str], None] = print,
) -> Outcome:
    """Warm both servers up, then ``rounds`` rounds, the order alternating per round."""

    def once(load: Load, seconds: float) -> WrkResult:
        return run_wrk(wrk, load.base + load.path, load.script, duration_s=seconds, core=wrk_core)

    once(baseline, warmup_s)
    once(ecert, warmup_s)
    for n in range(rounds):
        order = [("baseline", baseline), ("ecert", ecert)]
        if n % 2:
            order.reverse()
        for who, load in order:
            result = once(load, duration_s)
            (outcome.ecert if who == "ecert" else outcome.baseline).append(result)
            progress(
                f"  round {n + 1} {who:8} {result.requests_per_s:9,.0f} req/s  "
                f"p99 {result.p99_ms:8.1f} ms"
                + (
                    ""
                    if result.clean
                    else f"  ({result.non_2xx} non-2xx, {result.socket_errors} socket errors)"
                )
            )
    return outcome
