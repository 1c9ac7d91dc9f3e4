"""Accounts through GraphQL: register, log in, me, bad input, duplicate, wrong password; the
cookie session and its CSRF header over real HTTP."""

from __future__ import annotations

from tests.support.client import LOGIN, ApiClient
from tests.support.factories import ID_MALE_1985, PASSWORD

REGISTER = """
mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    __typename
    ... on RegisterAccountSuccess { account { id name idNumber idNumberMasked role } }
    ... on UserErrors { errors { code message field } }
  }
}"""
ME = "{ me { name idNumber idNumberMasked mobileMasked role } }"
LOGOUT = "mutation { logout { __typename ... on UserErrors { errors { code } } } }"


def _register_input(**overrides: str) -> dict[str, dict[str, str]]:
    data = {"name": "张三", "idNumber": ID_MALE_1985, "mobile": "13812341234", "password": PASSWORD}
    data.update(overrides)
    return {"input": data}


async def _login_codes(api: ApiClient, id_number: str, password: str) -> dict:
    body = await api.execute(LOGIN, {"input": {"idNumber": id_number, "password": password}})
    return body["data"]["login"]


async def test_register_login_and_me(api: ApiClient) -> None:
    body = await api.execute(REGISTER, _register_input())
    account = body["data"]["registerAccount"]["account"]
    assert account["idNumber"] == ID_MALE_1985 and account["role"] == "APPLICANT"

    me = (await (await api.login(ID_MALE_1985)).data(ME))["me"]
    assert me == {
        "name": "张三",
        "idNumber": ID_MALE_1985,
        "idNumberMasked": "5001**********0238",
        "mobileMasked": "138****1234",
        "role": "APPLICANT",
    }


async def test_bad_id_number_gets_chinese_error_with_code(api: ApiClient) -> None:
    body = await api.execute(REGISTER, _register_input(idNumber="500112198503120231"))
    errors = body["data"]["registerAccount"]["errors"]
    assert errors[0]["code"] == "ID_NUMBER_CHECKSUM"
    assert errors[0]["field"] == ["input", "idNumber"]
    assert "校验" in errors[0]["message"]


async def test_duplicate_account_is_refused(api: ApiClient) -> None:
    await api.execute(REGISTER, _register_input())
    body = await api.execute(REGISTER, _register_input(mobile="13700001111"))
    assert body["data"]["registerAccount"]["errors"][0]["code"] == "ACCOUNT_EXISTS"


async def test_wrong_password_and_unknown_account_answer_alike(api: ApiClient) -> None:
    await api.execute(REGISTER, _register_input())
    wrong = await _login_codes(api, ID_MALE_1985, "Nope-12345")
    unknown = await _login_codes(api, "500243199212310562", "Nope-12345")
    assert wrong == unknown
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_account_locks_after_repeated_failures(api: ApiClient) -> None:
    await api.execute(REGISTER, _register_input())
    codes = [
        (await _login_codes(api, ID_MALE_1985, "Nope-12345"))["errors"][0]["code"] for _ in range(6)
    ]
    assert codes[:4] == ["INVALID_CREDENTIALS"] * 4
    assert codes[4:] == ["ACCOUNT_LOCKED", "ACCOUNT_LOCKED"]
    # Even the right password is refused while locked.
    locked = await _login_codes(api, ID_MALE_1985, PASSWORD)
    assert locked["errors"][0]["code"] == "ACCOUNT_LOCKED"


async def test_logout_revokes_the_token(api: ApiClient) -> None:
    await api.execute(REGISTER, _register_input())
    session = await api.login(ID_MALE_1985)
    assert (await session.payload(LOGOUT))["__typename"] == "LogoutSuccess"
    assert (await session.execute(ME))["data"]["me"] is None


async def test_cookie_session_mutation_needs_csrf_header(server: ApiClient) -> None:
    """Over real HTTP: the cookie set by the server is sent back by a real client."""
    await server.execute(REGISTER, _register_input())
    session = await server.login(ID_MALE_1985, cookie=True)
    assert server.http.cookies.get("ecert_session")
    me = await server.execute(ME)  # the cookie alone authenticates a query
    assert me["data"]["me"]["name"] == "张三"
    refused = await server.execute(LOGOUT)
    assert refused["data"]["logout"]["errors"][0]["code"] == "CSRF_FAILED"
    ok = await server.execute(LOGOUT, headers={"X-CSRF-Token": session.csrf_token})
    assert ok["data"]["logout"]["__typename"] == "LogoutSuccess"
