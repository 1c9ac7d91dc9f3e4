"""Staff TOTP and staff administration through GraphQL (both databases).

Codes are real: computed with pyotp from the secret ``beginTotpEnrolment`` returned, at the
app's own clock. One test goes over real HTTP (``server``); the others in-process (``api``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp

from schema.enums import Role
from tests.support.client import ApiClient, Session
from tests.support.factories import ID_MALE_1985, ID_X_CHECK, PASSWORD, make_staff
from tests.support.flows import ADMIN_ID, REVIEWER_ID, SIGNER_ID, make_people

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) {
    __typename
    ... on LoginSuccess { token account { role } }
    ... on TotpEnrolmentRequired { enrolmentToken expiresAt account { name role } }
    ... on UserErrors { errors { code message field } }
  }
}"""
BEGIN = """
mutation($input: BeginTotpEnrolmentInput!) {
  beginTotpEnrolment(input: $input) {
    __typename
    ... on BeginTotpEnrolmentSuccess { secret provisioningUri qrSvg expiresAt }
    ... on UserErrors { errors { code message field } }
  }
}"""
CONFIRM = """
mutation($input: ConfirmTotpEnrolmentInput!) {
  confirmTotpEnrolment(input: $input) {
    __typename
    ... on ConfirmTotpEnrolmentSuccess { totpEnabledAt account { name } }
    ... on UserErrors { errors { code message field } }
  }
}"""
STAFF = """
query($role: Role, $authorityCode: String, $active: Boolean) {
  staffAccounts(role: $role, authorityCode: $authorityCode, active: $active, first: 20) {
    edges { node {
      id name role roleLabel authorityCode active totpEnrolled lastLoginAt
    } }
  }
}"""
_RESULT = """{
    __typename
    ... on StaffAccountSuccess { sessionsRevoked account { id active authorityCode totpEnrolled } }
    ... on UserErrors { errors { code message field } }
  }
}"""
DEACTIVATE = "mutation($input: DeactivateStaffInput!) { deactivateStaff(input: $input) " + _RESULT
REACTIVATE = "mutation($input: StaffAccountInput!) { reactivateStaff(input: $input) " + _RESULT
MOVE = (
    "mutation($input: ChangeStaffAuthorityInput!) { changeStaffAuthority(input: $input) " + _RESULT
)
IMPORTER_ID = "500112199001010017"
RESET = "mutation($input: StaffAccountInput!) { resetStaffTotp(input: $input) " + _RESULT


async def _login(api: ApiClient, id_number: str, code: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {"idNumber": id_number, "password": PASSWORD}
    if code is not None:
        values["totpCode"] = code
    return (await api.data(LOGIN, {"input": values}))["login"]


async def _one(api: ApiClient, mutation: str, values: dict[str, Any]) -> dict[str, Any]:
    (payload,) = (await api.data(mutation, {"input": values})).values()
    return payload


def _code(api: ApiClient, secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator shows ``steps_ahead`` steps after the app's now."""
    return pyotp.TOTP(secret).at(api.deps.clock() + timedelta(seconds=30 * steps_ahead))


async def _enrol(api: ApiClient, id_number: str) -> str:
    """A staff member's enrolment over GraphQL: the secret their authenticator holds."""
    ticket = await _login(api, id_number)
    assert ticket["__typename"] == "TotpEnrolmentRequired", ticket
    begun = await _one(api, BEGIN, {"enrolmentToken": ticket["enrolmentToken"]})
    assert begun["__typename"] == "BeginTotpEnrolmentSuccess", begun
    confirmed = await _one(
        api,
        CONFIRM,
        {"enrolmentToken": ticket["enrolmentToken"], "code": _code(api, begun["secret"])},
    )
    assert confirmed["__typename"] == "ConfirmTotpEnrolmentSuccess", confirmed
    return begun["secret"]


async def test_a_new_staff_member_enrols_and_logs_in_with_a_code(server: ApiClient) -> None:
    """Real HTTP: login without TOTP → enrolment → the login needs the authenticator's code,
    refuses a wrong one and the same one twice."""
    await make_staff(server.deps, role=Role.SIGNER, id_number=ID_X_CHECK, enrol=False)
    ticket = await _login(server, ID_X_CHECK)
    assert ticket["__typename"] == "TotpEnrolmentRequired"
    assert ticket["account"]["role"] == "SIGNER"
    begun = await _one(server, BEGIN, {"enrolmentToken": ticket["enrolmentToken"]})
    parsed = pyotp.parse_uri(begun["provisioningUri"])
    assert begun["provisioningUri"].startswith("otpauth://totp/")
    assert parsed.secret == begun["secret"] and begun["qrSvg"].startswith("<svg")
    secret = begun["secret"]
    wrong = await _one(
        server,
        CONFIRM,
        {"enrolmentToken": ticket["enrolmentToken"], "code": _code(server, secret, 5)},
    )
    assert [e["code"] for e in wrong["errors"]] == ["TOTP_INVALID"]
    confirmed = await _one(
        server, CONFIRM, {"enrolmentToken": ticket["enrolmentToken"], "code": _code(server, secret)}
    )
    assert confirmed["__typename"] == "ConfirmTotpEnrolmentSuccess"

    required = await _login(server, ID_X_CHECK)
    assert required["errors"] == [
        {
            "code": "TOTP_REQUIRED",
            "message": "工作人员登录需要输入动态验证码",
            "field": ["input", "totpCode"],
        }
    ]
    bad = await _login(server, ID_X_CHECK, _code(server, secret, 5))
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("TOTP_INVALID", ["input", "totpCode"])
    ]
    assert "动态验证码错误" in bad["errors"][0]["message"]
    code = _code(server, secret, 1)  # the confirmation used this step's code
    ok = await _login(server, ID_X_CHECK, code)
    assert ok["__typename"] == "LoginSuccess"
    replay = await _login(server, ID_X_CHECK, code)
    assert [e["code"] for e in replay["errors"]] == ["TOTP_INVALID"]
    me = await server.data("{ me { role } }", token=ok["token"])
    assert me["me"]["role"] == "SIGNER"


async def test_the_enrolment_token_is_no_session(api: ApiClient) -> None:
    await make_staff(api.deps, role=Role.SIGNER, id_number=ID_X_CHECK, enrol=False)
    ticket = await _login(api, ID_X_CHECK)
    me = await api.data("{ me { name } }", token=ticket["enrolmentToken"])
    assert me["me"] is None


async def test_an_applicant_logs_in_without_a_code(api: ApiClient) -> None:
    await make_people(api.deps)
    assert (await _login(api, ID_MALE_1985))["__typename"] == "LoginSuccess"


async def _admin(api: ApiClient) -> Session:
    await make_people(api.deps)  # applicant, reviewer (500112), admin, signer: all enrolled
    return await api.login(ADMIN_ID)


async def _id_of(admin: Session, name: str) -> str:
    nodes = await admin.nodes(STAFF)
    (found,) = [n["id"] for n in nodes if n["name"] == name]
    return found


async def test_admins_list_staff_without_id_numbers(api: ApiClient) -> None:
    admin = await _admin(api)
    await make_staff(
        api.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集", enrol=False
    )
    nodes = await admin.nodes(STAFF)
    by_name = {n["name"]: n for n in nodes}
    assert set(by_name) == {"李审核", "王管理", "赵签章", "钱归集"}  # no applicant
    assert by_name["李审核"]["authorityCode"] == "500112"
    assert by_name["王管理"]["lastLoginAt"] is not None  # this login
    assert (by_name["钱归集"]["totpEnrolled"], by_name["赵签章"]["totpEnrolled"]) == (False, True)
    reviewers = await admin.nodes(STAFF, {"role": "REVIEWER", "authorityCode": "500112"})
    assert [n["name"] for n in reviewers] == ["李审核"]
    fields = await api.data('{ __type(name: "StaffAccount") { fields { name } } }')
    assert not {f["name"] for f in fields["__type"]["fields"]} & {"idNumber", "idNumberMasked"}


async def test_deactivation_ends_the_sessions_and_reactivation_lets_them_back(
    api: ApiClient,
) -> None:
    admin = await _admin(api)
    signer = await api.login(SIGNER_ID)
    target = await _id_of(admin, "赵签章")
    done = await admin.ok(DEACTIVATE, {"accountId": target, "reason": "调离岗位"})
    assert (done["account"]["active"], done["sessionsRevoked"]) == (False, 1)
    assert (await signer.data("{ me { name } }"))["me"] is None
    inactive = await admin.nodes(STAFF, {"active": False})
    assert [n["name"] for n in inactive] == ["赵签章"]
    back = await admin.ok(REACTIVATE, {"accountId": target})
    assert back["account"]["active"] is True
    assert (await api.login(SIGNER_ID)).token


async def test_an_admin_cannot_deactivate_themselves(api: ApiClient) -> None:
    admin = await _admin(api)
    me = await _id_of(admin, "王管理")
    errors = await admin.refused(DEACTIVATE, {"accountId": me, "reason": "测试"})
    assert [(e["code"], e["message"]) for e in errors] == [
        ("STAFF_SELF_DEACTIVATION", "不能停用自己的账户")
    ]


async def test_an_admin_moves_a_reviewer_to_another_authority(api: ApiClient) -> None:
    admin = await _admin(api)
    reviewer = await _id_of(admin, "李审核")
    moved = await admin.ok(MOVE, {"accountId": reviewer, "authorityCode": "500101"})
    assert moved["account"]["authorityCode"] == "500101"
    unknown = await admin.refused(MOVE, {"accountId": reviewer, "authorityCode": "999999"})
    assert [(e["code"], e["field"]) for e in unknown] == [
        ("AUTHORITY_UNKNOWN", ["input", "authorityCode"])
    ]
    signer = await _id_of(admin, "赵签章")
    not_reviewer = await admin.refused(MOVE, {"accountId": signer, "authorityCode": "500101"})
    assert [e["code"] for e in not_reviewer] == ["STAFF_NOT_REVIEWER"]


async def test_an_admin_resets_a_lost_totp(api: ApiClient) -> None:
    admin = await _admin(api)
    reviewer_session = await api.login(REVIEWER_ID)
    reviewer = await _id_of(admin, "李审核")
    reset = await admin.ok(RESET, {"accountId": reviewer})
    assert (reset["account"]["totpEnrolled"], reset["sessionsRevoked"]) == (False, 1)
    assert (await reviewer_session.data("{ me { name } }"))["me"] is None
    again = await _login(api, REVIEWER_ID, "123456")
    assert again["__typename"] == "TotpEnrolmentRequired"
    secret = await _enrol(api, REVIEWER_ID)
    assert (await _login(api, REVIEWER_ID, _code(api, secret, 1)))["__typename"] == "LoginSuccess"


async def test_non_admins_are_refused(api: ApiClient) -> None:
    await make_people(api.deps)
    reviewer = await api.login(REVIEWER_ID)
    listing = await reviewer.execute(STAFF)
    assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    errors = await reviewer.refused(DEACTIVATE, {"accountId": "x", "reason": "x"})
    assert [e["code"] for e in errors] == ["FORBIDDEN"]
