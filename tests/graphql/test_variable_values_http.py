"""Variables of the wrong type are the client's mistake: a request error with graphql-core's
own message (HTTP 400 for ``graphql-response+json``), never the internal-error mask.

Found by the fuzzer (tests/fuzz, variables pass): a null for a non-null variable, a string
for an Int or a malformed Date was masked and logged with a traceback as an internal error,
because graphql-core reports these as a GraphQLError wrapping another GraphQLError.
Both databases, in-process.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from graphql_api.transport import GRAPHQL_RESPONSE_JSON, MASKED_ERROR_MESSAGE
from tests.support.client import ApiClient

MINE = "query($first: Int!) { myRegistrations(first: $first) { __typename } }"
QUEUE = "query($f: ReviewQueueFilter) { reviewQueue(filter: $f) { __typename } }"


@pytest.mark.parametrize(
    ("query", "variables", "said"),
    [
        (MINE, {"first": None}, "not to be None"),
        (MINE, {"first": "twenty"}, "Int cannot represent"),
        (MINE, {"first": 2**40}, "Int cannot represent"),
        (QUEUE, {"f": {"submittedFrom": "2026-13-45"}}, "submittedFrom"),
        (QUEUE, {"f": {"status": "NOPE"}}, "status"),
    ],
    ids=["null", "string-for-int", "huge-int", "bad-date", "bad-enum"],
)
async def test_a_wrongly_typed_variable_is_a_request_error(
    api: ApiClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any],
    said: str,
) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["message"] != MASKED_ERROR_MESSAGE
    assert said in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
