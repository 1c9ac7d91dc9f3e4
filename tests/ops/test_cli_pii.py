"""`ecert rotate-pii-key` as an operator runs it (a real subprocess, a real database)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from schema.models import Account
from schema.pii import PiiProtector
from schema.services.account_pii import account_mobile
from tests.support.factories import ID_MALE_1985, make_applicant
from tests.support.settings import test_environ

OLD_KEY, NEW_KEY = bytes([2]) * 32, bytes([9]) * 32  # test settings' key, and a new one


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


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


def _rotating_env() -> dict[str, str]:
    return {
        "ECERT_PII_ENCRYPTION_KEY": _b64(NEW_KEY),
        "ECERT_PII_PREVIOUS_ENCRYPTION_KEYS": _b64(OLD_KEY),
    }


async def test_rotate_then_check_then_the_new_key_alone_opens_everything(db, deps):
    await make_applicant(deps)
    await make_applicant(deps, name="李四", id_number="500243199212310562", mobile="13600001111")

    before = _ecert(db, "rotate-pii-key", "--check", **_rotating_env())
    assert (before.returncode, before.stdout.split()[0]) == (1, "2")

    result = _ecert(db, "rotate-pii-key", "--batch-size", "1", **_rotating_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "re-sealed 1 accounts",
        "re-sealed 2 accounts",
        "done: 2 accounts re-sealed in 2 batches; every ciphertext is now sealed with key "
        + PiiProtector(hmac_key=bytes([1]) * 32, encryption_key=NEW_KEY).current_kid,
    ]

    # The operator removes the old key: the check passes and every row opens without it.
    new_only = {"ECERT_PII_ENCRYPTION_KEY": _b64(NEW_KEY)}
    check = _ecert(db, "rotate-pii-key", "--check", **new_only)
    assert (check.returncode, check.stdout.split()[0]) == (0, "0")
    pii = PiiProtector(hmac_key=bytes([1]) * 32, encryption_key=NEW_KEY)
    rows = await Account.all().order_by("id")
    assert [(pii.open(r.id_number_cipher), account_mobile(r, pii)) for r in rows] == [
        (ID_MALE_1985, "13812341234"),
        ("500243199212310562", "13600001111"),
    ]


async def test_rotation_without_the_old_key_fails_in_one_line_and_changes_nothing(db, deps):
    created = await make_applicant(deps)
    sealed = (await Account.get(id=created.account.id)).mobile_cipher
    result = _ecert(
        db, "rotate-pii-key", "--quiet", ECERT_PII_ENCRYPTION_KEY=_b64(NEW_KEY)
    )  # no ECERT_PII_PREVIOUS_ENCRYPTION_KEYS
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert created.account.public_id in result.stderr
    assert "ECERT_PII_PREVIOUS_ENCRYPTION_KEYS" in result.stderr
    assert (await Account.get(id=created.account.id)).mobile_cipher == sealed


def test_a_short_previous_key_is_a_configuration_error(tmp_path):
    result = _ecert(
        f"sqlite://{tmp_path / 'unused.sqlite3'}",
        "rotate-pii-key",
        ECERT_PII_ENCRYPTION_KEY=_b64(NEW_KEY),
        ECERT_PII_PREVIOUS_ENCRYPTION_KEYS=f"{_b64(OLD_KEY)},c2hvcnQ",
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "ecert: configuration error: ECERT_PII_PREVIOUS_ENCRYPTION_KEYS must decode to 32 bytes"
    ]
