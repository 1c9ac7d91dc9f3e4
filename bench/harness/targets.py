"""The targets of issue 10, by scenario kind (one place to change them)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True)
class Target:
    ratio: float | None = None  # ecert / baseline req/s at least
    p99_ratio: float | None = None  # ecert p99 / baseline p99 at most
    per_second: float | None = None  # absolute rate (scenarios without a baseline)

    def describe(self) -> str:
        parts = []
        if self.ratio is not None:
            parts.append(f"≥ {self.ratio:g}")
        if self.p99_ratio is not None:
            parts.append(f"p99 ≤ {self.p99_ratio:g}×")
        if self.per_second is not None:
            parts.append(f"≥ {self.per_second:g} /s")
        return "; ".join(parts) or "—"


TARGETS: dict[str, Target] = {
    "verify-json": Target(ratio=0.60, p99_ratio=3.0),
    "verify-html": Target(ratio=0.50, p99_ratio=3.0),
    "graphql-my-certificates": Target(ratio=4.0),
    "graphql-reference": Target(ratio=6.0),
    "holder-qr": Target(ratio=0.15),
    "approvals": Target(per_second=60.0),
    "collection-import": Target(ratio=0.25),
    "collection-generation": Target(ratio=0.15),
}
