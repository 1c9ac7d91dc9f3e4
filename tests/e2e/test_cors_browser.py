"""A page on a second local origin (another port) reads the verdict JSON with ``fetch()`` in
a real headless Chromium: the browser itself enforces CORS, so this proves the public
verdict is readable cross-origin — and that GraphQL is not (the same page's fetch to
``/graphql`` is blocked by the browser). The result is read from the rendered DOM
(``--dump-dom``). Skipped without Chromium, failed with ``ECERT_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.e2e.test_verify_page_browser import _chromium, _chromium_run
from tests.support.server import free_port
from tests.verify.verify_support import certificates_in_every_state, local_path

_PAGE = """<!doctype html><html><body><p id="out">pending</p><p id="gql">pending</p>
<script>
const target = %s;
fetch(target.verdict, {headers: {"Accept": "application/json"}})
  .then(r => r.json())
  .then(j => { document.getElementById("out").textContent = "STATE:" + j.state; })
  .catch(e => { document.getElementById("out").textContent = "ERROR:" + e; });
fetch(target.graphql, {method: "POST", headers: {"Content-Type": "application/json"},
                       body: JSON.stringify({query: "{ __typename }"})})
  .then(r => r.text())
  .then(t => { document.getElementById("gql").textContent = "READ:" + t; })
  .catch(e => { document.getElementById("gql").textContent = "BLOCKED"; });
</script></body></html>"""


@asynccontextmanager
async def _other_origin(page: bytes) -> AsyncIterator[str]:
    """A bare HTTP server on another port serving ``page`` at ``/``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + page)
        await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.close()
        await server.wait_closed()


async def test_a_page_on_another_origin_reads_the_verdict_json(server, deps, tmp_path: Path):
    binary = _chromium()
    states = await certificates_in_every_state(deps)
    # The service answers on "localhost"; the page is on 127.0.0.1 and another port.
    base = server.base_url.replace("127.0.0.1", "localhost")
    target = {
        "verdict": base + local_path(states.revoked.verification_url or ""),
        "graphql": base + "/graphql",
    }
    page = (_PAGE % json.dumps(target)).encode("utf-8")
    async with _other_origin(page) as url:
        dom = await _chromium_run(
            binary, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom", url
        )
    assert '<p id="out">STATE:REVOKED</p>' in dom, dom
    assert '<p id="gql">BLOCKED</p>' in dom, dom
