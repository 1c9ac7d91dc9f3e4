"""Accounts through GraphQL: SMS codes, register, log in, me, bad input, duplicate, wrong
password, the second factor after failed logins, password reset, ID reclaim; the cookie
session and its CSRF header over real HTTP."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from schema.models import Account
from schema.services import login_backoff, sessions
from tests.support.client import LOGIN, REQUEST_SMS_CODE, ApiClient
from tests.support.factories import ID_MALE_1985, PASSWORD
from tests.support.flows import REVIEWER_ID, make_people

MOBILE = "13812341234"

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


RESET = """
mutation($input: ResetPasswordInput!) {
  resetPassword(input: $input) {
    __typename
    ... on ResetPasswordSuccess { sessionsRevoked }
    ... on UserErrors { errors { code message field } }
  }
}"""
RECLAIM = """
mutation($input: ReclaimIdentityInput!) {
  reclaimIdentity(input: $input) {
    __typename
    ... on ReclaimIdentitySuccess {
      account { id name idNumberMasked mobileMasked } disabledAccountId sessionsRevoked
      withdrawnRegistrations detachedRegistrations detachedCertificates loadedRecordsTouched
    }
    ... on UserErrors { errors { code message field } }
  }
}"""


def _register_input(**overrides: str) -> dict[str, dict[str, str]]:
    data = {
        "name": "张三",
        "idNumber": ID_MALE_1985,
        "mobile": MOBILE,
        "password": PASSWORD,
        "smsCode": "000000",
    }
    data.update(overrides)
    return {"input": data}


async def _register(api: ApiClient, **overrides: str) -> dict:
    """registerAccount with a REGISTER code really requested for the mobile."""
    code = await api.sms_code(overrides.get("mobile", MOBILE))
    body = await api.execute(REGISTER, _register_input(smsCode=code, **overrides))
    return body["data"]["registerAccount"]


async def _login_codes(api: ApiClient, id_number: str, password: str) -> dict:
    body = await api.execute(LOGIN, {"input": {"idNumber": id_number, "password": password}})
    return body["data"]["login"]


async def test_register_login_and_me(api: ApiClient) -> None:
    account = (await _register(api))["account"]
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


async def test_registration_needs_the_sms_code(api: ApiClient) -> None:
    body = await api.execute(REGISTER, _register_input(smsCode="123456"))
    errors = body["data"]["registerAccount"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("SMS_CODE_INVALID", ["input", "smsCode"])]


async def test_duplicate_account_is_refused_and_told_where_to_reclaim(api: ApiClient) -> None:
    await _register(api)
    error = (await _register(api, mobile="13700001111"))["errors"][0]
    assert error["code"] == "ACCOUNT_EXISTS"
    assert "审批机关窗口" in error["message"]


async def test_wrong_password_and_unknown_account_answer_alike(api: ApiClient) -> None:
    await _register(api)
    wrong = await _login_codes(api, ID_MALE_1985, "Nope-12345")
    unknown = await _login_codes(api, "500243199212310562", "Nope-12345")
    assert wrong == unknown
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_after_failed_logins_the_owner_logs_in_with_password_and_code(
    api: ApiClient,
) -> None:
    await _register(api)
    account = await Account.get(id_number_hmac=api.deps.pii.lookup_hash(ID_MALE_1985))
    now = api.deps.clock()
    async with in_transaction() as conn:  # an attacker's failures, from elsewhere
        for _ in range(sessions.SECOND_FACTOR_AFTER + 3):
            await login_backoff.record_failure(
                login_backoff.ACCOUNT_BACKOFF, account.id, now=now, using_db=conn
            )
    asked = await _login_codes(api, ID_MALE_1985, PASSWORD)
    assert asked["errors"][0]["code"] == "SECOND_FACTOR_REQUIRED"
    assert asked["errors"][0]["field"] == ["input", "secondFactor"]
    code = await api.sms_code(MOBILE, "LOGIN")
    body = await api.execute(
        LOGIN, {"input": {"idNumber": ID_MALE_1985, "password": PASSWORD, "secondFactor": code}}
    )
    assert body["data"]["login"]["__typename"] == "LoginSuccess"


async def test_request_sms_code_answers_alike_with_or_without_an_account(api: ApiClient) -> None:
    await _register(api)
    answers = []
    for mobile in (MOBILE, "13900009999"):
        body = await api.execute(
            REQUEST_SMS_CODE, {"input": {"mobile": mobile, "purpose": "RESET_PASSWORD"}}
        )
        answer = body["data"]["requestSmsCode"]
        answers.append({k: v for k, v in answer.items() if k != "mobileMasked"})
    assert answers[0]["__typename"] == "RequestSmsCodeSuccess"
    assert answers[0] == answers[1]


async def test_reset_password_by_sms_code(api: ApiClient) -> None:
    await _register(api)
    old = await api.login(ID_MALE_1985)
    code = await api.sms_code(MOBILE, "RESET_PASSWORD")
    reset = {"idNumber": ID_MALE_1985, "mobile": MOBILE, "newPassword": "Another-Pass-2027"}
    other = f"{(int(code) + 1) % 1_000_000:06d}"
    wrong = await api.execute(RESET, {"input": {**reset, "code": other}})
    assert wrong["data"]["resetPassword"]["errors"][0]["code"] == "RESET_REFUSED"
    body = await api.execute(RESET, {"input": {**reset, "code": code}})
    assert body["data"]["resetPassword"] == {
        "__typename": "ResetPasswordSuccess",
        "sessionsRevoked": 1,
    }
    assert (await old.execute(ME))["data"]["me"] is None
    assert await api.login(ID_MALE_1985, "Another-Pass-2027")


async def test_reclaim_identity_at_the_counter(api: ApiClient) -> None:
    people = await make_people(api.deps)  # its applicant registered ID_MALE_1985
    squatter = await api.login(ID_MALE_1985)
    reclaim = {
        "idNumber": ID_MALE_1985,
        "name": "张三",
        "mobile": "13600001234",
        "note": "核验身份证",
    }
    refused = await squatter.codes(RECLAIM, reclaim)
    assert refused == ["FORBIDDEN"]
    reviewer = await api.login(REVIEWER_ID)
    done = await reviewer.ok(RECLAIM, reclaim)
    assert done["disabledAccountId"] == people.applicant.public_id
    assert done["account"]["mobileMasked"] == "136****1234"
    assert done["sessionsRevoked"] == 1
    assert (await squatter.execute(ME))["data"]["me"] is None


async def test_logout_revokes_the_token(api: ApiClient) -> None:
    await _register(api)
    session = await api.login(ID_MALE_1985)
    assert (await session.payload(LOGOUT))["__typename"] == "LogoutSuccess"
    assert (await session.execute(ME))["data"]["me"] is None


async def test_cookie_session_mutation_needs_csrf_header(server: ApiClient) -> None:
    """Over real HTTP: the cookie set by the server is sent back by a real client."""
    await _register(server)
    session = await server.login(ID_MALE_1985, cookie=True)
    assert server.http.cookies.get("ecert_session")
    me = await server.execute(ME)  # the cookie alone authenticates a query
    assert me["data"]["me"]["name"] == "张三"
    refused = await server.execute(LOGOUT)
    assert refused["data"]["logout"]["errors"][0]["code"] == "CSRF_FAILED"
    ok = await server.execute(LOGOUT, headers={"X-CSRF-Token": session.csrf_token})
    assert ok["data"]["logout"]["__typename"] == "LogoutSuccess"
