"""graphql_api.transport over a real HTTP server (uvicorn on 127.0.0.1, port 0)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from graphql_api.graphiql import vendor_static_app
from graphql_api.transport import (
    GRAPHQL_RESPONSE_JSON,
    MASKED_ERROR_MESSAGE,
    graphql_route,
    limit_extensions,
    masking_extension,
)

ROOT = Path(__file__).resolve().parents[3]
FETCH_SCRIPT = ROOT / "scripts" / "fetch_graphiql_assets.py"
GRAPHQL_RESPONSE_CT = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
JSON_CT = "application/json; charset=utf-8"
SECRET = "secret internal detail 7f3a"


# ----------------------------------------------------------------------- schema


class PublicError(Exception):
    """Stands in for the project's domain errors."""


@dataclass
class Context:
    request: Request
    response: Response


@strawberry.type
class Node:
    value: int = 1

    @strawberry.field
    def child(self) -> Node:
        return Node(value=self.value + 1)


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}"

    @strawberry.field
    def maybe_boom(self) -> str | None:
        raise ValueError(SECRET)

    @strawberry.field
    def boom(self) -> str:
        raise ValueError(SECRET)

    @strawberry.field
    def denied(self) -> str | None:
        raise PublicError("证书不存在")

    @strawberry.field
    def node(self) -> Node:
        return Node()

    @strawberry.field
    def request_id(self, info: Info[Context, None]) -> str:
        return str(info.context.request.state.request_id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def login(self, info: Info[Context, None], user: str) -> str:
        info.context.response.set_cookie("session", "token-1", httponly=True)
        info.context.response.headers["X-Login"] = "yes"
        return user


def build_schema(*extra: type[SchemaExtension]) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            masking_extension((PublicError,)),
            *limit_extensions(max_depth=4, max_aliases=3, max_tokens=200),
            *extra,
        ],
    )


class FailingHook(SchemaExtension):
    """An extension bug: Strawberry turns it into a result after MaskErrors has run."""

    def on_execute(self) -> Iterator[None]:
        raise RuntimeError(SECRET)
        yield  # pragma: no cover - makes this a generator hook


async def make_context(request: Request, response: Response) -> Context:
    return Context(request=request, response=response)


async def broken_context(request: Request, response: Response) -> Context:
    raise RuntimeError(SECRET)


class RequestIdMiddleware:
    """Like the project's middleware: takes X-Request-ID into request.state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == b"x-request-id":
                    scope.setdefault("state", {})["request_id"] = value.decode()
        await self.app(scope, receive, send)


# --------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def vendor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Served by the app; empty until a test asks for ``installed_vendor``."""
    return tmp_path_factory.mktemp("vendor")


@pytest.fixture(scope="module")
def installed_vendor(vendor_dir: Path) -> Path:
    """Runs the real fetch script (npm + registry access) into ``vendor_dir``."""
    proc = subprocess.run(
        [sys.executable, str(FETCH_SCRIPT), "--dest", str(vendor_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    if "npm not found" in proc.stdout:
        pytest.skip("npm is not installed")
    return vendor_dir


@pytest.fixture
def app(vendor_dir: Path, tmp_path: Path) -> Starlette:
    schema = build_schema()
    empty = tmp_path / "no-vendor"
    routes = [
        graphql_route(schema, context_factory=make_context, graphiql=True, vendor_dir=vendor_dir),
        graphql_route(
            schema,
            path="/graphql-missing",
            context_factory=make_context,
            graphiql=True,
            vendor_dir=empty,
        ),
        graphql_route(schema, path="/graphql-off", context_factory=make_context, graphiql=False),
        graphql_route(
            schema,
            path="/graphql-small",
            context_factory=make_context,
            graphiql=False,
            max_body_bytes=200,
        ),
        graphql_route(
            schema, path="/graphql-broken", context_factory=broken_context, graphiql=False
        ),
        graphql_route(
            build_schema(FailingHook),
            path="/graphql-hook",
            context_factory=make_context,
            graphiql=False,
        ),
        Mount("/static/vendor", app=vendor_static_app(vendor_dir)),
    ]
    starlette_app = Starlette(routes=routes)
    starlette_app.add_middleware(RequestIdMiddleware)
    return starlette_app


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()  # surfaces the start-up error
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        # A client of the specification: it names the spec's media type, so status codes
        # follow the spec (the negotiation tests below set their own Accept).
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            headers={"Accept": GRAPHQL_RESPONSE_JSON},
        ) as c:
            yield c
    finally:
        server.should_exit = True
        await task


async def post(client: httpx.AsyncClient, query: str, **extra: object) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, **extra})


# ------------------------------------------------------------------------ tests


def test_extensions_are_factories_not_deprecated_instances() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        build_schema()


async def test_post_query_ok(client: httpx.AsyncClient) -> None:
    response = await post(client, "query($n: String!) { hello(name: $n) }", variables={"n": "李"})
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CT
    body = response.json()
    assert body["data"] == {"hello": "Hello, 李"}
    assert "errors" not in body


async def test_post_accepts_charset_and_operation_name(client: httpx.AsyncClient) -> None:
    payload = {"query": "query A { hello } query B { node { value } }", "operationName": "B"}
    response = await client.post(
        "/graphql",
        content=json.dumps(payload),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"node": {"value": 1}}


async def test_get_query_ok(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "query($n: String!) { hello(name: $n) }", "variables": '{"n": "x"}'},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CT
    assert response.json()["data"] == {"hello": "Hello, x"}


async def test_get_mutation_is_405_with_allow_post(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": 'mutation { login(user: "a") }'})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert "data" not in body
    assert "mutations" in body["errors"][0]["message"]
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/graphql", json={"query": "{ hello }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["errors"][0]["message"]


async def test_syntax_error_is_400_without_data(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ hello ")
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CT
    body = response.json()
    assert "data" not in body
    assert "Syntax Error" in body["errors"][0]["message"]
    assert body["extensions"]["requestId"]


async def test_validation_error_is_400(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ hello nope }")
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "nope" in body["errors"][0]["message"]


async def test_variable_coercion_error_is_400(client: httpx.AsyncClient) -> None:
    response = await post(client, "query($n: String!) { hello(name: $n) }", variables={})
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_unknown_operation_name_is_400(client: httpx.AsyncClient) -> None:
    response = await post(client, "query A { hello }", operationName="Nope")
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_too_deep_query_is_400(client: httpx.AsyncClient) -> None:
    query = "{ node { child { child { child { child { child { value } } } } } } }"
    response = await post(client, query)
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_too_many_aliases_and_tokens_are_400(client: httpx.AsyncClient) -> None:
    aliases = await post(client, "{ a: hello b: hello c: hello d: hello }")
    assert aliases.status_code == 400
    tokens = await post(client, "{ " + "hello " * 300 + "}")
    assert tokens.status_code == 400
    assert "data" not in tokens.json()


async def test_legacy_json_accept_gets_200(client: httpx.AsyncClient) -> None:
    headers = {"Accept": "application/json"}
    ok = await client.post("/graphql", json={"query": "{ hello }"}, headers=headers)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == JSON_CT
    bad = await client.post("/graphql", json={"query": "{ hello "}, headers=headers)
    assert bad.status_code == 200
    assert bad.headers["content-type"] == JSON_CT
    assert "data" not in bad.json()


async def _post_with_accept(client: httpx.AsyncClient, accept: str | None) -> httpx.Response:
    """POST ``{ hello }`` with this Accept header, or with none at all."""
    request = client.build_request("POST", "/graphql", json={"query": "{ hello }"})
    del request.headers["accept"]
    if accept is not None:
        request.headers["accept"] = accept
    return await client.send(request)


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, JSON_CT),  # graphql-http 80D8: no Accept is application/json
        ("*/*", JSON_CT),  # graphql-http 47DE
        ("application/*", JSON_CT),
        ("application/json", JSON_CT),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_CT),
        (f"{GRAPHQL_RESPONSE_JSON}, */*", GRAPHQL_RESPONSE_CT),  # named: it wins the tie
        (f"{GRAPHQL_RESPONSE_JSON}, application/json", GRAPHQL_RESPONSE_CT),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9", GRAPHQL_RESPONSE_CT),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON_CT),
        (f"{GRAPHQL_RESPONSE_JSON};q=0.5, */*", JSON_CT),  # q-values are honoured
        (f"{GRAPHQL_RESPONSE_JSON};q=0, */*", JSON_CT),  # q=0: refused by name
        (f"{GRAPHQL_RESPONSE_JSON.upper()};Q=1", GRAPHQL_RESPONSE_CT),
        (f"text/html, {GRAPHQL_RESPONSE_JSON};q=0.1", GRAPHQL_RESPONSE_CT),
        ("text/plain, application/json;q=0.2", JSON_CT),
    ],
)
async def test_accept_negotiation(
    client: httpx.AsyncClient, accept: str | None, content_type: str
) -> None:
    response = await _post_with_accept(client, accept)
    assert response.status_code == 200, accept
    assert response.headers["content-type"] == content_type, accept
    assert response.json()["data"] == {"hello": "Hello, world"}


async def test_request_errors_are_200_for_json_and_400_when_named(
    client: httpx.AsyncClient,
) -> None:
    for accept in (None, "*/*", "application/*"):
        legacy = await client.send(_syntax_error_request(client, accept))
        assert (legacy.status_code, legacy.headers["content-type"]) == (200, JSON_CT), accept
        assert "data" not in legacy.json()
    named = await client.send(_syntax_error_request(client, GRAPHQL_RESPONSE_JSON))
    assert (named.status_code, named.headers["content-type"]) == (400, GRAPHQL_RESPONSE_CT)


def _syntax_error_request(client: httpx.AsyncClient, accept: str | None) -> httpx.Request:
    request = client.build_request("POST", "/graphql", json={"query": "{ hello "})
    del request.headers["accept"]
    if accept is not None:
        request.headers["accept"] = accept
    return request


async def test_unacceptable_accept_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ hello }"}, headers={"Accept": "text/plain"}
    )
    assert response.status_code == 406
    refused = await client.post(
        "/graphql",
        json={"query": "{ hello }"},
        headers={"Accept": f"{GRAPHQL_RESPONSE_JSON};q=0, application/json;q=0"},
    )
    assert refused.status_code == 406
    # The most specific range decides: application/json refused by name, whatever */* says.
    for accept in ("application/json;q=0, */*", "application/json;q=bogus, */*"):
        assert (await _post_with_accept(client, accept)).status_code == 406, accept
    other_kind = await _post_with_accept(client, "text/*, image/*")
    assert other_kind.status_code == 406
    assert other_kind.headers["content-type"] == JSON_CT


async def test_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ):
        response = await client.post(
            "/graphql", content=b'{"query": "{ hello }"}', headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b'"just a string"',
        b'[{"query": "{ hello }"}]',
        b"{}",
        b'{"query": 42}',
        b'{"query": "{ hello }", "variables": [1]}',
        b'{"query": "{ hello }", "operationName": 5}',
        b'{"query": "{ hello }", "extensions": "x"}',
        b"[" * 100_000,
    ],
)
async def test_malformed_request_is_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/graphql", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errors", "extensions"}
    assert isinstance(body["errors"][0]["message"], str)


async def test_batch_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=[{"query": "{ hello }"}])
    assert response.status_code == 400
    assert "Batch" in response.json()["errors"][0]["message"]


async def test_get_without_query_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql")
    assert response.status_code == 400
    bad_variables = await client.get("/graphql", params={"query": "{ hello }", "variables": "{"})
    assert bad_variables.status_code == 400


async def test_body_too_large_is_413(client: httpx.AsyncClient) -> None:
    big = {"query": "{ hello }", "variables": {"pad": "x" * 500}}
    response = await client.post("/graphql-small", json=big)
    assert response.status_code == 413

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length header
        yield json.dumps(big).encode()

    streamed = await client.post(
        "/graphql-small", content=chunked(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    small = await client.post("/graphql-small", json={"query": "{ hello }"})
    assert small.status_code == 200


async def test_unexpected_error_is_masked_and_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="ecert.graphql")
    response = await post(client, "{ hello maybeBoom }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"hello": "Hello, world", "maybeBoom": None}
    assert body["errors"][0]["message"] == MASKED_ERROR_MESSAGE
    assert body["errors"][0]["path"] == ["maybeBoom"]
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert "ValueError" not in response.text
    records = [r for r in caplog.records if r.name == "ecert.graphql" and r.exc_info]
    assert records, "the masked exception must be logged"
    assert records[-1].exc_info[0] is ValueError
    assert body["extensions"]["requestId"] in records[-1].getMessage()


async def test_null_data_from_field_error_is_200_with_data(client: httpx.AsyncClient) -> None:
    # A non-null field error bubbles up to data = null: executed, so not a request error.
    response = await post(client, "{ boom }")
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["message"] == MASKED_ERROR_MESSAGE
    assert SECRET not in response.text


async def test_error_escaping_mask_errors_is_still_masked(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="ecert.graphql")
    response = await client.post("/graphql-hook", json={"query": "{ hello }"})
    # Raised before execution, but by the server, not the request: a 500, not a 400.
    assert response.status_code == 500
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"] == MASKED_ERROR_MESSAGE
    assert SECRET not in response.text
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


async def test_public_error_is_not_masked(client: httpx.AsyncClient) -> None:
    response = await post(client, "{ denied }")
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "证书不存在"


async def test_request_id_is_generated_or_taken_from_state(client: httpx.AsyncClient) -> None:
    generated = (await post(client, "{ requestId }")).json()
    assert re.fullmatch(r"[0-9a-f]{32}", generated["extensions"]["requestId"])
    # The same id reaches resolvers through request.state.
    assert generated["data"]["requestId"] == generated["extensions"]["requestId"]

    response = await client.post(
        "/graphql", json={"query": "{ requestId }"}, headers={"X-Request-ID": "req-abc"}
    )
    assert response.json()["extensions"]["requestId"] == "req-abc"
    assert response.json()["data"]["requestId"] == "req-abc"
    refused = await client.put("/graphql", headers={"X-Request-ID": "req-put"})
    assert refused.json()["extensions"]["requestId"] == "req-put"


async def test_headers_and_cookies_from_resolvers_are_merged(client: httpx.AsyncClient) -> None:
    response = await post(client, 'mutation { login(user: "alice") }')
    assert response.status_code == 200
    assert response.json()["data"] == {"login": "alice"}
    assert response.headers["x-login"] == "yes"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CT
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("session=token-1")
    assert "HttpOnly" in cookie


async def test_endpoint_failure_is_generic_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="ecert.graphql")
    response = await client.post(
        "/graphql-broken", json={"query": "{ hello }"}, headers={"X-Request-ID": "req-500"}
    )
    assert response.status_code == 500
    body = response.json()
    assert body["errors"] == [{"message": MASKED_ERROR_MESSAGE}]
    assert body["extensions"]["requestId"] == "req-500"
    assert SECRET not in response.text and "Traceback" not in response.text
    assert any("req-500" in r.getMessage() and r.exc_info for r in caplog.records)


# --------------------------------------------------------------------- GraphiQL

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_graphiql_disabled_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql-off", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 404
    # The API itself still answers browsers that send a query.
    query = await client.get(
        "/graphql-off", params={"query": "{ hello }"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert query.status_code == 200
    assert query.headers["content-type"] == JSON_CT  # */*: the browser did not name it


async def test_graphiql_without_assets_is_503(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql-missing", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "make assets" in response.text
    assert "GraphiQL 不可用" in response.text


def _sri(data: bytes, integrity: str) -> bool:
    algorithm = integrity.split("-", 1)[0]
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    return integrity == f"{algorithm}-{digest}"


@pytest.mark.usefixtures("installed_vendor")
async def test_graphiql_page_uses_local_assets(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    page = response.text
    assert "unpkg" not in page
    tags = re.findall(r"""<(?:script|link)\b(?:[^>"']|"[^"]*"|'[^']*')*>""", page)
    urls = [m for tag in tags for m in re.findall(r'\b(?:src|href)="([^"]+)"', tag)]
    assert not [u for u in urls if u.startswith(("http://", "https://", "//"))]
    local = [u for u in urls if u.startswith("/static/vendor/")]
    assert len(local) == 7
    assert any(u.endswith("/graphiql.min.js") for u in local)
    # Every asset is served by the vendor mount and still matches its SRI hash.
    for tag in tags:
        src = re.search(r'\b(?:src|href)="(/static/vendor/[^"]+)"', tag)
        if src is None:
            continue
        asset = await client.get(src.group(1))
        assert asset.status_code == 200, src.group(1)
        integrity = re.search(r'integrity="([^"]+)"', tag)
        assert integrity is not None, tag
        assert _sri(asset.content, integrity.group(1)), src.group(1)
