"""A GraphQL test client for the real app, in-process or over real HTTP.

``in_process(deps)`` builds the app exactly as production does (``build_app``: the same
routes, middleware, transport and lifespan), runs its ASGI lifespan with
``asgi_lifespan.LifespanManager`` (so the collection worker starts and stops as it does
under uvicorn), and talks to it through ``httpx.ASGITransport``: no socket, no server task.
``tests.support.server.live_server`` yields the same ``ApiClient`` over real HTTP, so a test
moves between the two by changing its fixture (``api`` ↔ ``server``) and nothing else.

    async def test_me(api: ApiClient) -> None:
        me = await api.login(ID_MALE_1985)           # a Session: token and CSRF token
        assert (await me.data("{ me { name } }"))["me"]["name"] == "张三"
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from graphql_api.app import build_app
from schema.http_edge.deps import Deps
from tests.support.factories import PASSWORD, sent_code
from tests.support.totp import login_code

__all__ = ["LOGIN", "REQUEST_SMS_CODE", "ApiClient", "FilePart", "Session", "in_process"]

REQUEST_SMS_CODE = """
mutation($input: RequestSmsCodeInput!) {
  requestSmsCode(input: $input) {
    __typename
    ... on RequestSmsCodeSuccess { mobileMasked expiresInSeconds resendAfterSeconds }
    ... on UserErrors { errors { code message field } }
  }
}"""

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginSuccess { token csrfToken expiresAt account { name role } }
    ... on UserErrors { errors { code message field } }
  }
}"""

# One file of a multipart request: (file name, content, content type), as httpx takes it.
FilePart = tuple[str, bytes, str]

# The peer address the app sees in-process, as uvicorn reports a local client.
_CLIENT_ADDRESS = ("127.0.0.1", 50000)


def _only_payload(data: dict[str, Any]) -> dict[str, Any]:
    """The payload of a mutation document that selects exactly one root field."""
    (payload,) = data.values()
    return payload


@dataclass
class ApiClient:
    """The real app behind an ``httpx.AsyncClient`` (in-process or over a socket)."""

    http: httpx.AsyncClient
    deps: Deps
    base_url: str

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST one GraphQL operation as JSON; the decoded body (``data`` and/or
        ``errors``), asserting HTTP 200."""
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            headers=_headers(token, headers),
        )
        assert response.status_code == 200, f"HTTP {response.status_code}: {response.text[:500]}"
        return response.json()

    async def data(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> dict[str, Any]:
        """``execute`` for an operation that must succeed: its ``data``, asserting no errors."""
        body = await self.execute(query, variables, token=token)
        assert "errors" not in body, f"GraphQL errors: {body['errors']}"
        return body["data"]

    async def upload(
        self,
        query: str,
        variables: Mapping[str, Any],
        files: Mapping[str, FilePart],
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One operation as a GraphQL multipart request: ``files`` maps a variable path
        (``"input.file"``) to its file; the variable is sent as null and the file as a part,
        as the multipart request specification says. The raw response (the transport may
        refuse a request with a 4xx status before GraphQL runs)."""
        sent = json.loads(json.dumps(dict(variables)))  # a deep copy to null the file paths
        file_map: dict[str, list[str]] = {}
        parts: dict[str, FilePart] = {}
        for number, (path, part) in enumerate(files.items()):
            *parents, leaf = path.split(".")
            target = sent
            for name in parents:
                target = target[name]
            target[leaf] = None
            file_map[str(number)] = [f"variables.{path}"]
            parts[str(number)] = part
        return await self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": sent}),
                "map": json.dumps(file_map),
            },
            files=parts,
            headers=_headers(token, headers),
        )

    async def sms_code(self, mobile: str, purpose: str = "REGISTER") -> str:
        """Ask for a one-time code through ``requestSmsCode`` and read it from the development
        provider's outbox (the app and the test share ``deps``, in-process and live)."""
        body = await self.execute(
            REQUEST_SMS_CODE, {"input": {"mobile": mobile, "purpose": purpose}}
        )
        answer = body["data"]["requestSmsCode"]
        assert answer["__typename"] == "RequestSmsCodeSuccess", f"code refused: {answer}"
        return sent_code(self.deps, mobile)

    async def login(
        self, id_number: str, password: str = PASSWORD, *, cookie: bool = False
    ) -> Session:
        """Log in through the ``login`` mutation (``cookie=True``: the session cookie is set
        on this client too); the logged-in ``Session``, asserting success. An enrolled staff
        account also sends the TOTP code its authenticator would show."""
        login_input: dict[str, Any] = {
            "idNumber": id_number,
            "password": password,
            "setCookie": cookie,
        }
        code = await login_code(self.deps, id_number)  # staff: their authenticator's code
        if code is not None:
            login_input["totpCode"] = code
        body = await self.execute(LOGIN, {"input": login_input})
        login = body["data"]["login"]
        assert login["__typename"] == "LoginSuccess", f"login refused: {login}"
        return Session(self, token=login["token"], csrf_token=login["csrfToken"])


class Session:
    """One logged-in person: every call carries the bearer token (a cookie login has none:
    the client's cookie jar carries the session)."""

    def __init__(self, api: ApiClient, *, token: str | None, csrf_token: str) -> None:
        self.api, self.token, self.csrf_token = api, token, csrf_token

    async def execute(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self.api.execute(query, variables, token=self.token)

    async def data(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self.api.data(query, variables, token=self.token)

    async def payload(
        self, mutation: str, input: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The payload of a one-field mutation taking ``$input`` (or no variable at all)."""
        variables = {"input": dict(input)} if input is not None else None
        return _only_payload(await self.data(mutation, variables))

    async def ok(self, mutation: str, input: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``payload``, asserting it is not a ``UserErrors``."""
        payload = await self.payload(mutation, input)
        assert payload["__typename"] != "UserErrors", f"refused: {payload.get('errors')}"
        return payload

    async def refused(self, mutation: str, input: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The errors of a mutation expected to answer ``UserErrors``."""
        payload = await self.payload(mutation, input)
        assert payload["__typename"] == "UserErrors", f"expected a refusal, got {payload}"
        return payload["errors"]

    async def codes(self, mutation: str, input: Mapping[str, Any]) -> list[str]:
        return [error["code"] for error in await self.refused(mutation, input)]

    async def nodes(self, query: str, variables: Mapping[str, Any] | None = None) -> list[Any]:
        """The nodes of the one connection a query reads (its first page)."""
        connection = _only_payload(await self.data(query, variables))
        return [edge["node"] for edge in connection["edges"]]

    async def upload(
        self, query: str, variables: Mapping[str, Any], files: Mapping[str, FilePart]
    ) -> httpx.Response:
        return await self.api.upload(query, variables, files, token=self.token)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """A plain GET (a report, a photo, a QR file) with the bearer token."""
        return await self.api.http.get(path, headers=_headers(self.token, None), **kwargs)


def _headers(token: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(headers or {})
    if token:
        merged["Authorization"] = f"Bearer {token}"
    return merged


@contextlib.asynccontextmanager
async def in_process(deps: Deps) -> AsyncIterator[ApiClient]:
    """The app built as production builds it, its lifespan running, behind an in-process
    client. The database is already open (``manage_db=False``), as for the live server."""
    app = build_app(deps.settings, deps=deps, manage_db=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=_CLIENT_ADDRESS)
        base_url = "http://testserver"
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=30) as http:
            yield ApiClient(http=http, deps=deps, base_url=base_url)
