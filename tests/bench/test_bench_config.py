"""The bench's settings from the environment, and its data set's cache key."""

from __future__ import annotations

import pytest

from bench.harness.config import BenchConfig
from bench.harness.dataset import DatasetSpec


def test_defaults_are_the_issue_s_run() -> None:
    config = BenchConfig.from_env({})
    assert (config.rounds, config.duration_s, config.certificates) == (3, 10.0, 100_000)
    assert config.backends == ("postgres", "sqlite")
    assert config.wants("verify-json") and config.collection


def test_quick_mode_is_a_smoke_run() -> None:
    config = BenchConfig.from_env({"BENCH_QUICK": "1", "BENCH_ONLY": "verify-json, approvals"})
    assert (config.rounds, config.duration_s, config.certificates) == (1, 3.0, 20_000)
    assert config.wants("approvals") and not config.wants("holder-qr")


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="BENCH_BACKENDS"):
        BenchConfig.from_env({"BENCH_BACKENDS": "mysql"})


def test_the_cache_key_follows_code_and_size() -> None:
    small, big = DatasetSpec(certificates=20_000, approvals=10), DatasetSpec(100_000, 120)
    assert small.key() == DatasetSpec(certificates=20_000, approvals=10).key()
    assert small.key() != big.key()
    # Same code, other size: one prefix, so the quick mode's snapshot survives a full run.
    assert small.key().split("_")[0] == big.key().split("_")[0]
