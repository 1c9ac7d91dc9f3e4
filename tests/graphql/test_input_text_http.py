"""Text no record can hold (NUL, a lone surrogate) is refused before any resolver runs.

Found by the fuzzer (tests/fuzz): a NUL in an id or a name reached PostgreSQL (``invalid
byte sequence for encoding "UTF8": 0x00``) and a lone surrogate sent in JSON variables could
not be encoded for either database: internal errors. Both databases, in-process.
"""

from __future__ import annotations

import json

import pytest

from graphql_api.transport import GRAPHQL_RESPONSE_JSON
from tests.support.client import ApiClient
from tests.support.flows import REVIEWER_ID, make_people

REVIEW = "query($id: ID!) { reviewRegistration(id: $id) { __typename } }"
LOOKUP = '{ lookupCertificate(number: "0113\\u0000", holderName: "张三") { __typename } }'
REFUSED = {
    "message": "输入内容含有无法处理的字符（如空字符），请删除后重试",
    "extensions": {"code": "INPUT_INVALID_CHARACTER"},
}


@pytest.mark.parametrize("value", ["abc\\u0000def", "\\ud800", "x\\udfffy"])
async def test_unstorable_text_in_a_variable_is_a_request_error(
    api: ApiClient, value: str
) -> None:
    await make_people(api.deps)
    reviewer = await api.login(REVIEWER_ID)
    # Written by hand: a lone surrogate cannot be encoded by the JSON client.
    body = f'{{"query": {json.dumps(REVIEW)}, "variables": {{"id": "{value}"}}}}'
    response = await api.http.post(
        "/graphql",
        content=body.encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": GRAPHQL_RESPONSE_JSON,
            "Authorization": f"Bearer {reviewer.token}",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [REFUSED]


async def test_unstorable_text_in_a_literal_is_refused_for_the_anonymous_too(
    api: ApiClient,
) -> None:
    body = await api.execute(LOOKUP)
    assert "data" not in body
    assert body["errors"] == [REFUSED]


async def test_a_malformed_query_keeps_its_own_error(api: ApiClient) -> None:
    body = await api.execute('{ lookupCertificate(number: "\\u0000") { nope } }')
    assert all("extensions" not in error for error in body["errors"])
