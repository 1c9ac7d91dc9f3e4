"""A small keep-alive GraphQL client over HTTP (the standard library's http.client): the
logins and the approvals go through the running server like any client's requests."""

from __future__ import annotations

import http.client
import json
from datetime import UTC, datetime
from typing import Any

from bench.harness.queries import APPROVE, LOGIN

__all__ = ["GraphQLClient", "GraphQLFailure", "staff_totp_code"]


class GraphQLFailure(RuntimeError):
    """The server refused or answered with errors."""


class GraphQLClient:
    def __init__(self, host: str, port: int, *, token: str | None = None) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=60)
        self.token = token

    def close(self) -> None:
        self._conn.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self._conn.request("POST", "/graphql", body=body, headers=headers)
        response = self._conn.getresponse()
        raw = response.read()
        if response.status != 200:
            raise GraphQLFailure(f"HTTP {response.status}: {raw[:200]!r}")
        answer: dict[str, Any] = json.loads(raw)
        if answer.get("errors"):
            raise GraphQLFailure(str(answer["errors"])[:300])
        return answer["data"]

    def login(self, id_number: str, password: str, totp_code: str | None = None) -> str:
        """Log in through the real ``login`` mutation; keeps and returns the bearer token."""
        data = self.execute(
            LOGIN,
            {"input": {"idNumber": id_number, "password": password, "totpCode": totp_code}},
        )["login"]
        if data["__typename"] != "LoginSuccess" or not data.get("token"):
            raise GraphQLFailure(f"login refused: {data}")
        self.token = str(data["token"])
        return self.token

    def approve(self, registration_id: str) -> str:
        data = self.execute(APPROVE, {"id": registration_id})["approveRegistration"]
        if data["__typename"] != "ApproveRegistrationSuccess":
            raise GraphQLFailure(f"approval refused: {data}")
        return str(data["certificate"]["certId"])


def staff_totp_code(secret: str, now: datetime | None = None) -> str:
    """What the reviewer's authenticator shows now (the project's own TOTP code)."""
    from schema.totp import code_at_step, step_of

    return str(code_at_step(secret, step_of(now or datetime.now(UTC))))
