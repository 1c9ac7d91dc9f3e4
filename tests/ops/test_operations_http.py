"""/healthz, /readyz, request ids and GraphiQL, on the real server (/metrics, behind its
token: tests/graphql/test_edge_http.py)."""

from __future__ import annotations

import json
import logging

from graphql_api.observability import JsonFormatter


async def test_healthz_answers(server):
    resp = await server.http.get("/healthz")
    assert (resp.status_code, resp.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database(server):
    resp = await server.http.get("/readyz")
    assert (resp.status_code, resp.json()["database"]) == (200, "ok")


async def test_request_id_is_echoed_and_generated(server):
    given = await server.http.get("/healthz", headers={"X-Request-ID": "client-abc-123"})
    assert given.headers["x-request-id"] == "client-abc-123"
    made = await server.http.get("/healthz", headers={"X-Request-ID": "bad id!"})
    assert made.headers["x-request-id"] != "bad id!" and len(made.headers["x-request-id"]) == 16


async def test_graphql_body_carries_the_request_id(server):
    resp = await server.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "trace-0001"}
    )
    assert resp.json()["extensions"]["requestId"] == "trace-0001"


async def test_graphiql_is_off_outside_development(server):
    resp = await server.http.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status_code == 404  # ECERT_ENV=test


def test_json_log_lines_carry_extras():
    record = logging.LogRecord("ecert.test", logging.INFO, __file__, 1, "hello %s", ("世界",), None)
    record.request_id = "rid-1"
    record.status = 200
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["request_id"], line["status"]) == ("hello 世界", "rid-1", 200)


async def test_production_refuses_introspection(db, database_url, tmp_path):
    from schema.http_edge.deps import build_deps
    from schema.http_edge.settings import load_settings
    from tests.support.server import live_server
    from tests.support.settings import test_environ

    env = test_environ(
        database_url=database_url,
        data_dir=str(tmp_path),
        ECERT_ENV="production",
        ECERT_PII_HMAC_KEY="A" * 43,
        ECERT_PII_ENCRYPTION_KEY="B" * 43,
    )
    async with live_server(build_deps(load_settings(env))) as live:
        refused = await live.http.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers={"Accept": "application/graphql-response+json"},
        )
        served = await live.http.post(
            "/graphql", json={"query": "{ reference { levels { code } } }"}
        )
    assert refused.status_code == 400 and "introspection" in refused.text.lower()
    assert served.status_code == 200 and len(served.json()["data"]["reference"]["levels"]) == 5
