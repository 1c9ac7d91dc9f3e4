"""A body over the transport's limit is refused in the applicant's words: a 10 MB photo sent
as Base64 gets the same Chinese PHOTO_TOO_LARGE a 2.5 MB photo gets, not an English 413."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.support.factories import ID_MALE_1985, PASSWORD
from tests.support.flows import make_people

LOGIN = (
    """mutation($input: LoginInput!) { login(input: $input) { ... on LoginSuccess { token } } }"""
)
CREATE = (
    """mutation { createRegistration { ... on RegistrationSuccess { registration { id } } } }"""
)
PHOTO = """mutation($input: UploadRegistrationPhotoInput!) { uploadRegistrationPhoto(input: $input) {
  __typename ... on UserErrors { errors { code message } } } }"""


async def _draft(server: Any) -> tuple[str, str]:
    await make_people(server.deps)
    login = await server.execute(LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD}})
    token = login["data"]["login"]["token"]
    created = await server.execute(CREATE, token=token)
    return token, created["data"]["createRegistration"]["registration"]["id"]


def _fake_jpeg(size: int) -> str:
    return base64.b64encode(b"\xff\xd8\xff" + bytes(size - 3)).decode()


async def test_a_ten_megabyte_photo_gets_the_chinese_photo_too_large(server):
    token, reg_id = await _draft(server)
    small = await server.execute(
        PHOTO, {"input": {"id": reg_id, "photoBase64": _fake_jpeg(2_500_000)}}, token=token
    )
    (expected,) = small["data"]["uploadRegistrationPhoto"]["errors"]
    assert expected["code"] == "PHOTO_TOO_LARGE", expected

    body = json.dumps(
        {
            "query": PHOTO,
            "variables": {"input": {"id": reg_id, "photoBase64": _fake_jpeg(10_000_000)}},
        }
    )
    response = await server.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )

    assert response.status_code == 413, response.text[:200]
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PHOTO_TOO_LARGE", error
    assert error["message"] == expected["message"], "not the message a smaller photo gets"


async def test_another_oversized_request_is_refused_in_chinese_with_a_code(server):
    padding = "x" * 5_000_000
    response = await server.http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"pad": padding}}
    )
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE", error
    assert "提交的内容过大" in error["message"], error["message"]
