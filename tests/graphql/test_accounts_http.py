"""Accounts over real HTTP: register, log in, me, bad input, duplicate, wrong password."""

from __future__ import annotations

from tests.support.factories import ID_MALE_1985, PASSWORD

REGISTER = """
mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    __typename
    ... on RegisterAccountSuccess { account { id name idNumber idNumberMasked role } }
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
ME = "{ me { name idNumber idNumberMasked mobileMasked role } }"


def _register_input(**overrides: str) -> dict[str, dict[str, str]]:
    data = {"name": "张三", "idNumber": ID_MALE_1985, "mobile": "13812341234", "password": PASSWORD}
    data.update(overrides)
    return {"input": data}


async def test_register_login_and_me(server):
    body = await server.gql(REGISTER, _register_input())
    account = body["data"]["registerAccount"]["account"]
    assert account["idNumber"] == ID_MALE_1985 and account["role"] == "APPLICANT"

    body = await server.gql(LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD}})
    token = body["data"]["login"]["token"]
    me = (await server.gql(ME, token=token))["data"]["me"]
    assert me == {
        "name": "张三",
        "idNumber": ID_MALE_1985,
        "idNumberMasked": "5001**********0238",
        "mobileMasked": "138****1234",
        "role": "APPLICANT",
    }


async def test_bad_id_number_gets_chinese_error_with_code(server):
    body = await server.gql(REGISTER, _register_input(idNumber="500112198503120231"))
    errors = body["data"]["registerAccount"]["errors"]
    assert errors[0]["code"] == "ID_NUMBER_CHECKSUM"
    assert errors[0]["field"] == ["input", "idNumber"]
    assert "校验" in errors[0]["message"]


async def test_duplicate_account_is_refused(server):
    await server.gql(REGISTER, _register_input())
    body = await server.gql(REGISTER, _register_input(mobile="13700001111"))
    assert body["data"]["registerAccount"]["errors"][0]["code"] == "ACCOUNT_EXISTS"


async def test_wrong_password_and_unknown_account_answer_alike(server):
    await server.gql(REGISTER, _register_input())
    wrong = await server.gql(LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": "Nope-12345"}})
    unknown = await server.gql(
        LOGIN, {"input": {"idNumber": "500243199212310562", "password": "Nope-12345"}}
    )
    assert wrong["data"]["login"] == unknown["data"]["login"]
    assert wrong["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_account_locks_after_repeated_failures(server):
    await server.gql(REGISTER, _register_input())
    codes = []
    for _ in range(6):
        body = await server.gql(
            LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": "Nope-12345"}}
        )
        codes.append(body["data"]["login"]["errors"][0]["code"])
    assert codes[:4] == ["INVALID_CREDENTIALS"] * 4
    assert codes[4:] == ["ACCOUNT_LOCKED", "ACCOUNT_LOCKED"]
    # Even the right password is refused while locked.
    body = await server.gql(LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD}})
    assert body["data"]["login"]["errors"][0]["code"] == "ACCOUNT_LOCKED"


async def test_logout_revokes_the_token(server):
    await server.gql(REGISTER, _register_input())
    body = await server.gql(LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD}})
    token = body["data"]["login"]["token"]
    out = await server.gql("mutation { logout { __typename } }", token=token)
    assert out["data"]["logout"]["__typename"] == "LogoutSuccess"
    assert (await server.gql(ME, token=token))["data"]["me"] is None


async def test_cookie_session_mutation_needs_csrf_header(server):
    await server.gql(REGISTER, _register_input())
    body = await server.gql(
        LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD, "setCookie": True}}
    )
    csrf = body["data"]["login"]["csrfToken"]
    assert server.client.cookies.get("ecert_session")
    me = await server.gql(ME)  # the cookie alone authenticates a query
    assert me["data"]["me"]["name"] == "张三"
    refused = await server.gql(
        "mutation { logout { __typename ... on UserErrors { errors { code } } } }"
    )
    assert refused["data"]["logout"]["errors"][0]["code"] == "CSRF_FAILED"
    ok = await server.gql("mutation { logout { __typename } }", headers={"X-CSRF-Token": csrf})
    assert ok["data"]["logout"]["__typename"] == "LogoutSuccess"
