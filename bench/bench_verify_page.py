"""Verification page throughput over real HTTP, as a ratio to /healthz in the same process.

Issues one real signed certificate on a fresh SQLite database, serves the real app with
uvicorn on 127.0.0.1, and times sequential GETs of: /healthz (baseline: the HTTP stack
alone), the verification page as HTML, as JSON, and the JWK Set. The page verifies the
signature and reads the register on every request; QR images are never rendered there.

    uv run python bench/bench_verify_page.py [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from urllib.parse import urlsplit

from schema.db import close_db, open_db
from schema.http_edge.deps import build_deps
from schema.http_edge.settings import load_settings
from tests.support.databases import prepare_template
from tests.support.flows import issue_yubei_certificate, make_people
from tests.support.server import live_server
from tests.support.settings import test_environ


async def _time(client, path: str, n: int, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    for _ in range(n):
        resp = await client.get(path, headers=headers or {})
        assert resp.status_code == 200, (path, resp.status_code)
    return (time.perf_counter() - started) / n


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    n = parser.parse_args().requests
    workdir = tempfile.mkdtemp()
    url = f"sqlite://{workdir}/bench.sqlite3"
    await prepare_template(url)
    deps = build_deps(load_settings(test_environ(database_url=url, data_dir=workdir)))
    await open_db(url)
    try:
        cert = await issue_yubei_certificate(deps, await make_people(deps))
        page = urlsplit(cert.verification_url).path
        async with live_server(deps) as live:
            await _time(live.http, "/healthz", 20)  # warm up
            rows = [
                ("/healthz (baseline)", await _time(live.http, "/healthz", n)),
                ("verify page, HTML", await _time(live.http, page, n)),
                (
                    "verify page, JSON",
                    await _time(live.http, page, n, {"Accept": "application/json"}),
                ),
                ("/.well-known/jwks.json", await _time(live.http, "/.well-known/jwks.json", n)),
            ]
    finally:
        await close_db()
    base = rows[0][1]
    print(f"requests={n} each, sequential, one client, SQLite")
    print(f"{'endpoint':26} {'ms/req':>7} {'req/s':>7} {'ratio':>6}")
    for label, seconds in rows:
        print(f"{label:26} {seconds * 1000:7.2f} {1 / seconds:7.0f} {seconds / base:6.1f}")


if __name__ == "__main__":
    asyncio.run(main())
