"""The HTTP edge, as an attacker tries it: the client address behind a proxy (the lookup
form's limit), variable coercion errors, the per-client request limit, the query cost limit,
the security headers and /metrics over real HTTP, and the cookie login's body."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schema.http_edge.deps import Deps, build_deps
from schema.http_edge.settings import load_settings
from schema.services.lookup import LOOKUP_LIMIT
from tests.graphql.test_reference_http import FORM
from tests.support.client import LOGIN, ApiClient, in_process
from tests.support.factories import ID_MALE_1985, PASSWORD, make_applicant
from tests.support.server import live_server
from tests.support.settings import test_environ

SPEC = {"Accept": "application/graphql-response+json"}
METRICS_TOKEN = "metrics-scraper-token-0123456789"
MASKED = "服务器内部错误"


def _deps(database_url: str, tmp_path: Path, **env: str) -> Deps:
    data_dir = tmp_path / "edge-data"
    data_dir.mkdir(exist_ok=True)
    environ = test_environ(database_url=database_url, data_dir=str(data_dir), **env)
    return build_deps(load_settings(environ))


@contextlib.asynccontextmanager
async def _behind_proxy(database_url: str, tmp_path: Path, **env: str) -> AsyncIterator[ApiClient]:
    """The app as deployed behind a reverse proxy: the in-process peer (127.0.0.1) is it."""
    deps = _deps(database_url, tmp_path, ECERT_TRUSTED_PROXIES="127.0.0.1/32", **env)
    async with in_process(deps) as api:
        yield api


def _via_proxy(client: str, spoofed: str | None = None) -> dict[str, str]:
    """What the proxy forwards: whatever the client sent, then the address it saw."""
    return {"X-Forwarded-For": f"{spoofed}, {client}" if spoofed else client}


# ------------------------------------------------------------------ client address


async def test_a_spoofed_leftmost_forwarded_for_no_longer_escapes_the_lookup_limit(
    db: str, database_url: str, tmp_path: Path
) -> None:
    async with _behind_proxy(database_url, tmp_path) as api:
        statuses = [
            (
                await api.http.post(
                    "/lookup",
                    data={"number": "01132015X", "holderName": "某"},
                    headers=_via_proxy("203.0.113.7", spoofed=f"198.18.{i}.{i}"),
                )
            ).status_code
            for i in range(30)
        ]
        assert statuses == [404] * LOOKUP_LIMIT + [429] * (30 - LOOKUP_LIMIT)
        # Another client behind the same proxy has a counter of its own.
        other = await api.http.post(
            "/lookup",
            data={"number": "01132015X", "holderName": "某"},
            headers=_via_proxy("203.0.113.8"),
        )
        assert other.status_code == 404


async def test_without_a_trusted_proxy_forwarded_for_is_not_read(api: ApiClient) -> None:
    statuses = [
        (
            await api.http.post(
                "/lookup",
                data={"number": "01132015X", "holderName": "某"},
                headers=_via_proxy(f"198.18.0.{i}"),
            )
        ).status_code
        for i in range(LOOKUP_LIMIT + 1)
    ]
    assert statuses == [404] * LOOKUP_LIMIT + [429]


# ------------------------------------------------------------------ coercion errors

PAGE = "query($first: Int!) { myRegistrations(first: $first) { edges { cursor } } }"


@pytest.mark.parametrize(
    ("query", "variables", "says"),
    [
        (PAGE, {"first": "abc"}, "Int cannot represent non-integer value: 'abc'"),
        (LOGIN, {"input": {"idNumber": 5, "password": "x"}}, "String cannot represent"),
        (LOGIN, {"input": {"idNumber": "5", "password": "x", "setCookie": "yes"}}, "Boolean"),
    ],
)
async def test_a_wrongly_typed_variable_is_a_400_request_error_not_a_server_error(
    api: ApiClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, object],
    says: str,
) -> None:
    caplog.set_level(logging.INFO, logger="ecert.graphql")
    answer = await api.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=SPEC
    )
    assert answer.status_code == 400
    body = answer.json()
    assert "data" not in body
    assert says in body["errors"][0]["message"] and MASKED not in answer.text
    graphql_logs = [r for r in caplog.records if r.name == "ecert.graphql"]
    assert [r.levelno for r in graphql_logs] == [logging.INFO]
    assert graphql_logs[0].exc_info is None
    # A legacy application/json client gets the same errors with a 200 (the spec's SHOULD).
    legacy = await api.http.post("/graphql", json={"query": query, "variables": variables})
    assert legacy.status_code == 200 and says in legacy.json()["errors"][0]["message"]


# ------------------------------------------------------------------ request limit


async def test_graphql_requests_over_the_per_client_limit_are_refused_with_429(
    db: str, database_url: str, tmp_path: Path
) -> None:
    limits = {"ECERT_GRAPHQL_BURST": "3", "ECERT_GRAPHQL_REQUESTS_PER_MINUTE": "1"}
    async with _behind_proxy(database_url, tmp_path, **limits) as api:
        query = {"query": "{ __typename }"}
        served = [
            (
                await api.http.post(
                    "/graphql", json=query, headers=_via_proxy("203.0.113.7", f"10.{i}.0.1")
                )
            ).status_code
            for i in range(3)
        ]
        assert served == [200, 200, 200]
        refused = await api.http.post(
            "/graphql", json=query, headers={**SPEC, **_via_proxy("203.0.113.7", "10.9.0.1")}
        )
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"  # one request a minute
        (error,) = refused.json()["errors"]
        assert error == {
            "message": "请求过于频繁，请60秒后再试",
            "extensions": {"code": "TOO_MANY_REQUESTS"},
        }
        other = await api.http.post("/graphql", json=query, headers=_via_proxy("203.0.113.8"))
        assert other.status_code == 200


# ------------------------------------------------------------------ query cost

REFERENCE_FRAGMENT = "fragment Form on Reference " + FORM[FORM.index("{", FORM.index("reference")) :]
REFERENCE_FRAGMENT = REFERENCE_FRAGMENT[: REFERENCE_FRAGMENT.rindex("}")]


def _aliases_of_reference(count: int) -> str:
    fields = " ".join(f"r{i}: reference {{ ...Form }}" for i in range(count))
    return f"query Many {{ {fields} }}\n{REFERENCE_FRAGMENT}"


async def test_thirty_aliases_of_reference_are_refused_before_anything_runs(
    api: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ecert.graphql")
    once = await api.http.post("/graphql", json={"query": _aliases_of_reference(1)})
    assert once.status_code == 200 and once.json()["data"]["r0"]["levels"]
    answer = await api.http.post(
        "/graphql", json={"query": _aliases_of_reference(30)}, headers=SPEC
    )
    assert answer.status_code == 400
    assert len(answer.content) < 1000  # the attack got 1.25 MB
    body = answer.json()
    assert "data" not in body
    # (FORM's own aliases also pass the alias limit 30 times over: a second error.)
    (error,) = [e for e in body["errors"] if e.get("extensions", {}).get("code")]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}
    assert error["message"].startswith("查询过于复杂（估算开销")
    assert "上限10000" in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ------------------------------------------------------------------ headers, /metrics


async def test_every_answer_says_nosniff_api_answers_no_store_and_https_origins_hsts(
    server: ApiClient,
) -> None:
    http = server.http
    api_answers = [
        await http.post("/graphql", json={"query": "{ me { name } }"}),
        await http.get("/graphql", params={"query": "{ __typename }"}),
        await http.post("/graphql", json={"query": "{ nope }"}, headers=SPEC),  # a 400
        await http.get("/healthz"),
        await http.get("/imports/1/report.csv"),  # a 401
    ]
    for answer in api_answers:
        where = f"{answer.request.method} {answer.request.url.path} {answer.status_code}"
        assert answer.headers["x-content-type-options"] == "nosniff", where
        assert answer.headers["cache-control"] == "no-store", where
        assert answer.headers["strict-transport-security"] == "max-age=31536000", where
    # Routes with a caching policy of their own keep it (and still say nosniff).
    jwks = await http.get("/.well-known/jwks.json")
    assert jwks.headers["cache-control"] == "public, max-age=300"
    assert jwks.headers["x-content-type-options"] == "nosniff"
    assert jwks.headers["strict-transport-security"] == "max-age=31536000"
    template = await http.get("/imports/template.csv", params={"kind": "HISTORICAL"})
    assert template.headers["cache-control"] == "no-cache"  # a public blank form
    assert template.headers["x-content-type-options"] == "nosniff"


async def test_no_hsts_for_an_http_origin(db: str, database_url: str, tmp_path: Path) -> None:
    deps = _deps(database_url, tmp_path, ECERT_PUBLIC_BASE_URL="http://127.0.0.1:8000")
    async with in_process(deps) as api:
        answer = await api.http.get("/healthz")
    assert "strict-transport-security" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_metrics_are_not_served_without_a_token(server: ApiClient) -> None:
    assert (await server.http.get("/metrics")).status_code == 404


async def test_metrics_need_the_bearer_token(db: str, database_url: str, tmp_path: Path) -> None:
    deps = _deps(database_url, tmp_path, ECERT_METRICS_TOKEN=METRICS_TOKEN)
    async with live_server(deps) as live:
        await live.http.get("/healthz")
        bare = await live.http.get("/metrics")
        wrong = await live.http.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await live.http.get(
            "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
    assert bare.status_code == wrong.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert "ecert_http_requests_total" not in bare.text + wrong.text
    assert right.status_code == 200
    assert 'ecert_http_requests_total{method="GET",route="/healthz",status="200"}' in right.text


# ------------------------------------------------------------------ login body


async def test_a_cookie_login_keeps_the_token_out_of_the_body(
    server: ApiClient, deps: Deps
) -> None:
    await make_applicant(deps)
    credentials = {"idNumber": ID_MALE_1985, "password": PASSWORD}
    browser = await server.http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"input": {**credentials, "setCookie": True}}},
    )
    login = browser.json()["data"]["login"]
    assert login["__typename"] == "LoginSuccess"
    assert login["token"] is None and login["csrfToken"]
    cookie = server.http.cookies.get("ecert_session")
    assert cookie and cookie not in browser.text
    assert "httponly" in browser.headers["set-cookie"].lower()

    server.http.cookies.clear()
    app = await server.http.post(
        "/graphql", json={"query": LOGIN, "variables": {"input": credentials}}
    )
    assert app.json()["data"]["login"]["token"]
    assert "set-cookie" not in app.headers
