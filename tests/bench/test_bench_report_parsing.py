"""What the harness reads back (wrk's output, bench_collection's table) and how it judges a
scenario against its target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness.collection import parse_collection_table
from bench.harness.measure import Outcome
from bench.harness.wrk import WrkError, WrkResult, get_paths_script, parse_wrk, post_script

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40123/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    76.90ms   20.11ms 180.02ms   70.00%
    Req/Sec   208.33     30.12   270.00     68.00%
  Latency Distribution
     50%   75.10ms
     75%   88.20ms
     90%  101.00ms
     99%    1.20s
  4163 requests in 10.01s, 9.87MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:    415.90
Transfer/sec:      0.99MB
"""


def test_wrk_output_is_read_with_its_units() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests_per_s == pytest.approx(415.90)
    assert result.p50_ms == pytest.approx(75.10)
    assert result.p99_ms == pytest.approx(1200.0)
    assert result.requests == 4163
    assert (result.non_2xx, result.socket_errors) == (3, 3)
    assert not result.clean


def test_wrk_output_without_numbers_is_an_error() -> None:
    with pytest.raises(WrkError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def _run(rps: float, p99: float) -> WrkResult:
    return WrkResult(rps, p99 / 2, p99, int(rps * 10), 0, 0)


def test_an_outcome_takes_medians_and_checks_both_targets() -> None:
    outcome = Outcome(
        kind="verify-json",
        label="x",
        ecert=[_run(600, 30), _run(700, 20), _run(650, 25)],
        baseline=[_run(1000, 10), _run(1100, 9), _run(900, 11)],
    )
    assert outcome.median() == 650 and outcome.baseline_median() == 1000
    assert outcome.ratio() == pytest.approx(0.65)
    assert outcome.p99_ratio() == pytest.approx(2.5)
    assert outcome.met() is True  # ≥ 0.60 and p99 ≤ 3×
    outcome.ecert = [_run(700, 40), _run(700, 35), _run(700, 45)]  # fast, but p99 4×
    assert outcome.met() is False


def test_an_outcome_without_a_baseline_is_judged_by_its_rate() -> None:
    assert Outcome(kind="approvals", label="a", rates=[59.0, 61.0, 62.0]).met() is True
    assert Outcome(kind="approvals", label="a", rates=[15.0]).met() is False


def test_the_collection_report_in_the_repository_is_read() -> None:
    report = next(
        (Path(__file__).resolve().parents[2] / "bench" / "results").glob("collection-*.md")
    )
    imported, generated = parse_collection_table(report.read_text(encoding="utf-8"))
    assert imported.kind == "collection-import" and generated.kind == "collection-generation"
    ratio, generation_ratio = imported.ratio(), generated.ratio()
    assert ratio is not None and generation_ratio is not None
    # The table's own ratio lines, recomputed from its rates (medians of the baselines).
    assert ratio == pytest.approx(0.155, abs=0.01)
    assert generation_ratio == pytest.approx(0.015, abs=0.002)


def test_lua_scripts_quote_their_values(tmp_path: Path) -> None:
    paths = get_paths_script(tmp_path / "get.lua", tmp_path / "paths.txt", {"Accept": "text/html"})
    text = paths.read_text(encoding="utf-8")
    assert '["Accept"] = "text/html"' in text and str(tmp_path / "paths.txt") in text
    body = '{"query": "query { a(b: \\"c\\") }"}'
    posted = post_script(tmp_path / "post.lua", body, {"Authorization": "Bearer t"}).read_text()
    assert 'wrk.method = "POST"' in posted
    assert 'wrk.headers["Authorization"] = "Bearer t"' in posted
    literal = next(line for line in posted.splitlines() if line.startswith("wrk.body = "))
    assert json.loads(literal.removeprefix("wrk.body = ")) == body
