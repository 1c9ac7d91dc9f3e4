"""The harness's servers and wrk scripts against the real baseline app: it answers on
127.0.0.1, wrk's Lua scripts send what they should, and the server is gone after stop()."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from bench.harness.queries import MY_CERTIFICATES
from bench.harness.servers import HOST, start_server
from bench.harness.wrk import get_paths_script, post_script, run_wrk

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


def test_wrk_scripts_drive_the_baseline_without_errors(tmp_path: Path) -> None:
    server = start_server(
        "baseline-test",
        "bench.harness.baseline_app:create_app",
        env={"BENCH_BASELINE_DATABASE": ""},
        log_dir=tmp_path,
        ready_path="/json",
    )
    try:
        assert server.base.startswith(f"http://{HOST}:")
        with urllib.request.urlopen(server.base + "/json", timeout=10) as response:  # noqa: S310 (http://127.0.0.1)
            assert json.loads(response.read())["ok"] is True
        wrk = shutil.which("wrk")
        assert wrk is not None
        paths = tmp_path / "paths.txt"
        paths.write_text("/json\n/json?x=1\n", encoding="utf-8")
        got = run_wrk(
            wrk,
            server.base,
            get_paths_script(tmp_path / "get.lua", paths, {"Accept": "application/json"}),
            duration_s=1,
            connections=4,
            core=None,
        )
        assert got.requests > 0 and got.clean
        body = json.dumps({"query": MY_CERTIFICATES})
        posted = run_wrk(
            wrk,
            server.base + "/graphql",
            post_script(tmp_path / "post.lua", body, {"Content-Type": "application/json"}),
            duration_s=1,
            connections=4,
            core=None,
        )
        assert posted.requests > 0 and posted.clean
    finally:
        server.stop()
    assert not server.alive()
