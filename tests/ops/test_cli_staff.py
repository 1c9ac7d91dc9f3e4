"""``ecert staff reset-totp`` and the enrolment hint of ``ecert create-staff``, as an operator
runs them (a real subprocess on the test's database, both backends)."""

from __future__ import annotations

import os
import subprocess
import sys

from schema.enums import AuditAction, Role
from schema.models import Account, AuditRecord
from tests.support.factories import ID_X_CHECK, make_applicant, make_staff
from tests.support.settings import test_environ

STAFF_ID = "500108197505050027"


def _ecert(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **test_environ(database_url=database_url), **env}
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_staff_says_how_to_enrol(database_url):
    result = _ecert(
        database_url,
        "create-staff",
        "--role",
        "signer",
        "--name",
        "周签章",
        "--id-number",
        STAFF_ID,
        "--mobile",
        "13911112222",
        ECERT_STAFF_PASSWORD="Staff-Pass-2026!",
    )
    assert result.returncode == 0, result.stderr
    assert "TotpEnrolmentRequired" in result.stdout and "docs/staff.md" in result.stdout


async def test_reset_totp_by_account_id_is_audited(db, deps):
    account = (await make_staff(deps, role=Role.SIGNER, id_number=ID_X_CHECK)).account
    assert account.totp_enabled_at is not None
    result = _ecert(db, "staff", "reset-totp", account.public_id, "--note", "手机丢失")
    assert result.returncode == 0, result.stderr
    assert f"reset the TOTP of signer {account.name}" in result.stdout
    await account.refresh_from_db()
    assert (account.totp_enabled_at, account.totp_secret_cipher) == (None, None)
    record = await AuditRecord.get(action=AuditAction.TOTP_RESET.value)
    assert (record.entity_id, record.actor_id) == (account.public_id, None)
    assert record.note is not None
    assert record.note.startswith("ecert staff reset-totp by ") and record.note.endswith("手机丢失")


async def test_reset_totp_by_id_number(db, deps):
    account = (await make_staff(deps, role=Role.SIGNER, id_number=ID_X_CHECK)).account
    result = _ecert(db, "staff", "reset-totp", ID_X_CHECK)
    assert result.returncode == 0, result.stderr
    assert (await Account.get(id=account.id)).totp_enabled_at is None


async def test_reset_totp_of_an_unknown_or_applicant_account_is_one_line(db, deps):
    applicant = (await make_applicant(deps)).account
    for name in ("nobody", applicant.public_id):
        result = _ecert(db, "staff", "reset-totp", name)
        assert result.returncode == 2
        assert result.stderr == "ecert: TOTP not reset: STAFF_NOT_FOUND 工作人员账户不存在\n"


async def test_create_employer_checks_the_credit_code_and_creates_the_account(db):
    from schema.models import Employer
    from tests.support.employers import CREDIT_CODE, EMPLOYER_ID

    args = [
        "create-employer",
        "--organisation",
        "重庆渝北工程建设有限公司",
        "--name",
        "周经办",
        "--id-number",
        EMPLOYER_ID,
        "--mobile",
        "13900003333",
    ]
    wrong = CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1")
    refused = _ecert(db, *args, "--credit-code", wrong, ECERT_STAFF_PASSWORD="Staff-Pass-2026!")
    assert refused.returncode == 2 and "CREDIT_CODE_CHECKSUM" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    result = _ecert(
        db, *args, "--credit-code", CREDIT_CODE, ECERT_STAFF_PASSWORD="Staff-Pass-2026!"
    )
    assert result.returncode == 0, result.stderr
    assert f"created employer 重庆渝北工程建设有限公司 ({CREDIT_CODE})" in result.stdout
    assert "TotpEnrolmentRequired" in result.stdout
    employer = await Employer.get(credit_code=CREDIT_CODE).prefetch_related("account")
    assert employer.account.role is Role.EMPLOYER
    record = await AuditRecord.get(action=AuditAction.EMPLOYER_CREATED.value)
    assert (record.entity_id, record.actor_id) == (employer.account.public_id, None)
