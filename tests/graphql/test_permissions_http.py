"""Who may do what, over real HTTP (both databases): one table of role × operation.

Every cell is the outcome the operation gives that role: refused at the gate
(UNAUTHENTICATED for the anonymous, FORBIDDEN for a wrong role), or let through — "ok", or
the service's own answer to an id that does not exist (REGISTRATION_NOT_FOUND …), which
proves the gate was passed without touching anyone's data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from schema.enums import Role
from tests.support.client import ApiClient
from tests.support.employers import EMPLOYER_ID, make_employer
from tests.support.factories import ID_MALE_1985, make_staff
from tests.support.flows import ADMIN_ID, REVIEWER_ID, SIGNER_ID, make_people, portrait_jpeg

IMPORTER_ID = "500112199001010017"

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "applicant", "reviewer", "signer", "importer", "admin", "employer")
APPLICANT = frozenset({"applicant"})
REVIEWERS = frozenset({"reviewer", "admin"})
HOLDER_OR_REVIEWERS = frozenset({"applicant", "reviewer", "admin"})
IMPORTERS = frozenset({"importer", "admin"})
ADMIN = frozenset({"admin"})
EMPLOYER = frozenset({"employer"})
LOGGED_IN = frozenset(ROLES) - {ANONYMOUS}
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Op:
    """One operation: who passes its gate, and what they then get."""

    name: str
    document: str
    allowed: frozenset[str]
    passed: str = "ok"  # the outcome for an allowed role
    variables: dict[str, Any] = field(default_factory=dict)


def _mutation(name: str, input_type: str | None = None) -> str:
    args = "(input: $input)" if input_type else ""
    params = f"($input: {input_type}!)" if input_type else ""
    return (
        f"mutation{params} {{ {name}{args} {{ __typename "
        "... on UserErrors { errors { code } } } }"
    )


def _input(**values: Any) -> dict[str, Any]:
    return {"input": values}


NOPE = "0" * 24  # no record has this id
PHOTO = base64.b64encode(portrait_jpeg()).decode()

OPERATIONS = (
    # --- existing operations
    Op("me", "{ me { name } }", EVERYONE),
    Op("reference", "{ reference { revision } }", EVERYONE),
    Op(
        "importTitleSystemResults",
        _mutation("importTitleSystemResults", "ImportTitleSystemResultsInput"),
        IMPORTERS,
        "IMPORT_EMPTY",
        _input(records=[]),
    ),
    # --- bulk collection (a string where a file belongs: the gate passed, the file refused)
    Op(
        "startImport",
        _mutation("startImport", "StartImportInput"),
        IMPORTERS,
        "IMPORT_FILE_REQUIRED",
        _input(kind="HISTORICAL", file="not a file"),
    ),
    Op(
        "importJob",
        "query($id: ID!) { importJob(id: $id) { id } }",
        IMPORTERS,
        "IMPORT_JOB_NOT_FOUND",
        {"id": NOPE},
    ),
    Op("importJobs", "{ importJobs(first: 5) { edges { node { id } } } }", IMPORTERS),
    Op(
        "importReport",
        "query($id: ID!) { importReport(id: $id) { totalLines } }",
        IMPORTERS,
        "IMPORT_JOB_NOT_FOUND",
        {"id": NOPE},
    ),
    Op(
        "addReferenceEntry",
        _mutation("addReferenceEntry", "AddReferenceEntryInput"),
        ADMIN,
        "REFERENCE_INVALID",
        _input(kind="authorities", entry="not an object"),
    ),
    Op(
        "changePassword",
        _mutation("changePassword", "ChangePasswordInput"),
        LOGGED_IN,
        "WRONG_PASSWORD",
        _input(oldPassword="Not-the-password-1", newPassword="Another-Pass-2026!"),
    ),
    # --- the applicant
    Op("myRegistrations", "{ myRegistrations { edges { node { id } } } }", APPLICANT),
    Op(
        "registration",
        "query($id: ID!) { registration(id: $id) { id } }",
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        {"id": NOPE},
    ),
    Op(
        "registrationHistory",
        "query($id: ID!) { registrationHistory(id: $id) { action } }",
        HOLDER_OR_REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        {"id": NOPE},
    ),
    Op("myCertificates", "{ myCertificates { edges { node { certId } } } }", APPLICANT),
    Op(
        "myCorrectionRequests",
        "{ myCorrectionRequests { edges { node { id } } pageInfo { hasNextPage } } }",
        APPLICANT,
    ),
    Op("createRegistration", _mutation("createRegistration"), APPLICANT),
    Op(
        "saveRegistrationTitle",
        _mutation("saveRegistrationTitle", "SaveRegistrationTitleInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, level="ZHONG"),
    ),
    Op(
        "saveRegistrationDocument",
        _mutation("saveRegistrationDocument", "SaveRegistrationDocumentInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, obtainedOn="2023-06-20"),
    ),
    Op(
        "saveRegistrationSpecialty",
        _mutation("saveRegistrationSpecialty", "SaveRegistrationSpecialtyInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, specialty="给排水"),
    ),
    Op(
        "uploadRegistrationPhoto",
        _mutation("uploadRegistrationPhoto", "UploadRegistrationPhotoInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, photoBase64=PHOTO),
    ),
    Op(
        "submitRegistration",
        _mutation("submitRegistration", "RegistrationIdInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE),
    ),
    Op(
        "withdrawRegistration",
        _mutation("withdrawRegistration", "RegistrationIdInput"),
        APPLICANT,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE),
    ),
    Op(
        "requestCorrection",
        _mutation("requestCorrection", "RequestCorrectionInput"),
        APPLICANT,
        "CERTIFICATE_NOT_FOUND",
        _input(
            certId=NOPE,
            reason="登记时专业选择有误",
            changes=[{"field": "specialty", "value": "建筑工程"}],
        ),
    ),
    # --- the reviewing authority
    Op(
        "reviewQueue",
        "{ reviewQueue(first: 5) { edges { cursor } pageInfo { hasNextPage } } }",
        REVIEWERS,
    ),
    Op(
        "reviewRegistration",
        "query($id: ID!) { reviewRegistration(id: $id) { photoDataUrl } }",
        REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        {"id": NOPE},
    ),
    Op(
        "correctionRequests",
        "{ correctionRequests(first: 5) { edges { cursor node { id } } pageInfo { endCursor } } }",
        REVIEWERS,
    ),
    Op(
        "certificateHistory",
        "query($c: ID!) { certificateHistory(certId: $c) { action } }",
        REVIEWERS,
        "CERTIFICATE_NOT_FOUND",
        {"c": NOPE},
    ),
    Op(
        "approveRegistration",
        _mutation("approveRegistration", "ApproveRegistrationInput"),
        REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE),
    ),
    Op(
        "returnRegistration",
        _mutation("returnRegistration", "ReturnRegistrationInput"),
        REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, reason="PHOTO_UNCLEAR"),
    ),
    Op(
        "approveRegistrationPhoto",
        _mutation("approveRegistrationPhoto", "ApproveRegistrationInput"),
        REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE),
    ),
    Op(
        "returnRegistrationPhoto",
        _mutation("returnRegistrationPhoto", "ReturnRegistrationInput"),
        REVIEWERS,
        "REGISTRATION_NOT_FOUND",
        _input(id=NOPE, reason="PHOTO_UNCLEAR"),
    ),
    Op(
        "decideCorrection",
        _mutation("decideCorrection", "DecideCorrectionInput"),
        REVIEWERS,
        "CORRECTION_NOT_FOUND",
        _input(id=NOPE, approve=True),
    ),
    Op(
        "revokeCertificate",
        _mutation("revokeCertificate", "RevokeCertificateInput"),
        REVIEWERS,
        "CERTIFICATE_NOT_FOUND",
        _input(certId=NOPE, reason="DUPLICATE"),
    ),
    Op(
        "reinstateCertificate",
        _mutation("reinstateCertificate", "ReinstateCertificateInput"),
        REVIEWERS,
        "CERTIFICATE_NOT_FOUND",
        _input(certId=NOPE, note="撤销决定已被复议撤销"),
    ),
    # --- staff: TOTP enrolment (the enrolment token, not a session, is the gate) and admin
    Op(
        "beginTotpEnrolment",
        _mutation("beginTotpEnrolment", "BeginTotpEnrolmentInput"),
        EVERYONE,
        "ENROLMENT_TOKEN_INVALID",
        _input(enrolmentToken=NOPE),
    ),
    Op(
        "confirmTotpEnrolment",
        _mutation("confirmTotpEnrolment", "ConfirmTotpEnrolmentInput"),
        EVERYONE,
        "ENROLMENT_TOKEN_INVALID",
        _input(enrolmentToken=NOPE, code="123456"),
    ),
    Op("staffAccounts", "{ staffAccounts(first: 5) { edges { node { id } } } }", ADMIN),
    Op(
        "deactivateStaff",
        _mutation("deactivateStaff", "DeactivateStaffInput"),
        ADMIN,
        "STAFF_NOT_FOUND",
        _input(accountId=NOPE, reason="调离岗位"),
    ),
    Op(
        "reactivateStaff",
        _mutation("reactivateStaff", "StaffAccountInput"),
        ADMIN,
        "STAFF_NOT_FOUND",
        _input(accountId=NOPE),
    ),
    Op(
        "changeStaffAuthority",
        _mutation("changeStaffAuthority", "ChangeStaffAuthorityInput"),
        ADMIN,
        "STAFF_NOT_FOUND",
        _input(accountId=NOPE, authorityCode="500101"),
    ),
    Op(
        "resetStaffTotp",
        _mutation("resetStaffTotp", "StaffAccountInput"),
        ADMIN,
        "STAFF_NOT_FOUND",
        _input(accountId=NOPE),
    ),
    # --- employers' batch checks, and the employer accounts an administrator creates
    Op(
        "createVerificationBatch",
        _mutation("createVerificationBatch", "CreateVerificationBatchInput"),
        EMPLOYER,
        "VERIFICATION_BATCH_EMPTY",
        _input(text=""),
    ),
    Op(
        "verificationBatch",
        f'{{ verificationBatch(id: "{NOPE}") {{ id }} }}',
        EMPLOYER,
        "VERIFICATION_BATCH_NOT_FOUND",
    ),
    Op(
        "verificationBatches",
        "{ verificationBatches(first: 5) { edges { node { id } } } }",
        EMPLOYER,
    ),
    Op(
        "createEmployerAccount",
        _mutation("createEmployerAccount", "CreateEmployerAccountInput"),
        ADMIN,
        "CREDIT_CODE_FORMAT",
        _input(
            organisationName="重庆某公司",
            creditCode="X",
            name="周经办",
            idNumber=EMPLOYER_ID,
            mobile="13900003333",
            password="Qiushi-2026!Cert",
        ),
    ),
    # Last: it ends the session the other operations use.
    Op("logout", _mutation("logout"), LOGGED_IN),
)


def expected(op: Op, role: str) -> str:
    if role in op.allowed:
        return op.passed
    return "UNAUTHENTICATED" if role == ANONYMOUS else "FORBIDDEN"


def outcome(body: dict[str, Any], name: str) -> str:
    """The first error code (a GraphQL error's or a payload's UserErrors), else "ok"."""
    if body.get("errors"):
        return body["errors"][0].get("extensions", {}).get("code", body["errors"][0]["message"])
    value = body["data"][name]
    if isinstance(value, dict) and value.get("__typename") == "UserErrors":
        return value["errors"][0]["code"]
    return "ok"


async def tokens(server: ApiClient) -> dict[str, str | None]:
    await make_people(server.deps)  # applicant, reviewer (500112), admin, signer
    await make_staff(server.deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    await make_employer(server.deps, enrol=True)
    ids = {
        "applicant": ID_MALE_1985,
        "reviewer": REVIEWER_ID,
        "signer": SIGNER_ID,
        "importer": IMPORTER_ID,
        "admin": ADMIN_ID,
        "employer": EMPLOYER_ID,
    }
    out: dict[str, str | None] = {ANONYMOUS: None}
    for role, id_number in ids.items():
        out[role] = (await server.login(id_number)).token
    return out


def test_the_table_covers_every_role_and_has_no_duplicate_operation() -> None:
    names = [op.name for op in OPERATIONS]
    assert len(names) == len(set(names))
    assert {r for op in OPERATIONS for r in op.allowed} <= set(ROLES)


async def test_role_by_operation_table(server: ApiClient) -> None:
    by_role = await tokens(server)
    got: dict[tuple[str, str], str] = {}
    for op in OPERATIONS:
        for role in ROLES:
            body = await server.execute(op.document, op.variables, token=by_role[role])
            got[(op.name, role)] = outcome(body, op.name)
    wrong = [
        f"{name} as {role}: expected {expected(op, role)}, got {got[(name, role)]}"
        for op in OPERATIONS
        for name, role in [(op.name, r) for r in ROLES]
        if got[(name, role)] != expected(op, role)
    ]
    assert not wrong, "permission table differs:\n" + "\n".join(wrong)
