"""The access log of a scan (over real HTTP) names the certificate but not its signed
payload: the payload carries the holder's claims (name, ID number, title), and the log
needs only the certificate id to trace a request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from graphql_api.observability import JsonFormatter, logged_path
from schema.http_edge.deps import Deps
from tests.support.client import ApiClient
from tests.support.flows import issue_yubei_certificate, make_people


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def _access_lines() -> Iterator[_Lines]:
    handler, logger = _Lines(), logging.getLogger("ecert.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_a_scan_is_logged_without_its_payload(server: ApiClient, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    path = urlsplit(cert.verification_url).path
    _, _, cert_id, payload = path.split("/", 3)
    with _access_lines() as logged:
        for scanned in (path, path.replace("/V/", "/v/", 1), f"/V/{cert_id}/photo"):
            await server.http.get(scanned)
    paths = [line["path"] for line in logged.lines]
    assert paths == [f"/V/{cert_id}/…", f"/v/{cert_id}/…", f"/V/{cert_id}/photo"], paths
    assert not any(payload in json.dumps(line) for line in logged.lines)
    assert {line["status"] for line in logged.lines} <= {200, 404}


def test_other_paths_are_logged_as_they_are() -> None:
    for path in ("/graphql", "/", "/V/", "/V/ABC", "/lookup", "/VX/a/b", "/certificates/A/qr.png"):
        assert logged_path(path) == path
