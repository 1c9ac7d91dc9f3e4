"""GraphiQL in a real headless Chromium, with no internet: every script comes from the
service itself and the page introspects the schema over POST /graphql.

Needs the GraphiQL assets (`make assets`, which `make test` runs) and Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphql_api.app import VENDOR_DIR
from schema.http_edge.deps import build_deps
from schema.http_edge.settings import load_settings
from tests.e2e.test_verify_page_browser import ARTIFACTS, _chromium, _chromium_run
from tests.support.server import live_server
from tests.support.settings import test_environ

METRICS_TOKEN = "graphiql-test-metrics-token"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
async def test_graphiql_loads_offline_and_introspects(db, database_url, tmp_path: Path):
    binary = _chromium()
    if not any(VENDOR_DIR.glob("graphiql@*/graphiql.min.js")):
        pytest.fail("GraphiQL assets missing: run `make assets` (make test does)")
    deps = build_deps(
        load_settings(
            test_environ(
                database_url=database_url,
                data_dir=str(tmp_path),
                ECERT_ENV="development",
                ECERT_METRICS_TOKEN=METRICS_TOKEN,
            )
        )
    )
    async with live_server(deps) as live:
        shot = ARTIFACTS / "graphiql.png"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        dom = await _chromium_run(
            binary,
            tmp_path / "profile",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{live.base_url}/graphql",
        )
        await _chromium_run(
            binary,
            tmp_path / "profile2",
            "--virtual-time-budget=10000",
            f"--screenshot={shot}",
            f"{live.base_url}/graphql",
        )
        metrics = (
            await live.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        ).text

    assert "graphiql-container" in dom, "GraphiQL did not render"
    assert not re.search(r'src="https?://', dom), "a script was loaded from outside the service"
    introspections = re.search(
        r'ecert_http_requests_total\{method="POST",route="/graphql",status="200"\} (\d+)', metrics
    )
    assert introspections and float(introspections.group(1)) >= 2, "no introspection POST"
    assert shot.stat().st_size > 10_000
