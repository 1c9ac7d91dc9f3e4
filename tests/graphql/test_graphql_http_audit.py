"""The GraphQL-over-HTTP conformance audit (the graphql-http project's own ``auditServer``,
run by Node.js against the real server over real HTTP): every audit passes.

graphql-http is fetched from the npm registry once per session into the pytest cache
directory, pinned, as the GraphiQL assets are; without Node.js and npm the test is skipped
and says why.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

GRAPHQL_HTTP = "graphql-http@1.23.1"
GRAPHQL_JS = "graphql@16.15.0"
AUDIT_SCRIPT = """
import { auditServer } from 'graphql-http';
const results = await auditServer({ url: process.argv[2] });
console.log(JSON.stringify(results.map((r) => ({
  id: r.id, name: r.name, status: r.status, reason: r.status === 'ok' ? null : r.reason,
}))));
"""


@pytest.fixture(scope="session")
def audit_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js and npm are needed to run the graphql-http audit")
    directory = tmp_path_factory.mktemp("graphql-http-audit")
    (directory / "package.json").write_text('{"private": true, "type": "module"}')
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", GRAPHQL_HTTP, GRAPHQL_JS],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, f"npm install failed: {installed.stderr[-800:]}"
    script = directory / "audit.mjs"
    script.write_text(AUDIT_SCRIPT)
    return script


async def test_graphql_http_audit_passes_every_check(server, audit_tool: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(audit_tool),
        f"{server.base_url}/graphql",
        cwd=audit_tool.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-800:]
    results = json.loads(out)
    failed = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert len(results) >= 61, f"the audit ran only {len(results)} checks"
    assert not failed, "graphql-http audits failed:\n" + "\n".join(failed)
