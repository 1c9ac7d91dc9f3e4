"""An identifier no record can have (longer than its column, or holding a NUL) is "not
found", in every use case that looks a record up by what a client sent (both databases).

Found by the fuzzer (tests/fuzz): Tortoise refused a 33-character id with ValidationError
and PostgreSQL a NUL, both internal errors; the service now answers as for an unknown id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from schema.errors import NotFound
from schema.models import Registration
from schema.services import (
    collection_jobs,
    corrections,
    history,
    holder_certificates,
    registrations,
    review,
    revocation,
    signing_keys,
)
from schema.services.keys import can_be_key
from schema.services.reference import current_catalog
from tests.support.factories import NOW
from tests.support.flows import People, make_people

TOO_LONG = "0" * 33
WITH_NUL = "0123456789ab\x00"

UseCase = Callable[[People, str], Awaitable[Any]]
USE_CASES: dict[str, UseCase] = {
    "open_registration": lambda p, key: review.open_registration(
        actor=p.reviewer, registration_id=key
    ),
    "own_registration": lambda p, key: registrations.get_own_registration(
        actor=p.applicant, registration_id=key
    ),
    "withdraw_registration": lambda p, key: registrations.withdraw_registration(
        actor=p.applicant, registration_id=key, now=NOW
    ),
    "registration_history": lambda p, key: history.registration_history(
        actor=p.admin, registration_id=key
    ),
    "certificate_history": lambda p, key: history.certificate_history(actor=p.admin, cert_id=key),
    "holder_certificate": lambda p, key: holder_certificates.get_holder_certificate(
        actor=p.applicant, cert_id=key
    ),
    "import_job": lambda p, key: collection_jobs.get_import_job(actor=p.admin, job_id=key),
    "affected_certificates": lambda p, key: signing_keys.affected_certificates(
        actor=p.signer, kid=key
    ),
    "retire_key": lambda p, key: signing_keys.retire_key(actor=p.signer, kid=key, now=NOW),
    "reinstate_certificate": lambda p, key: revocation.reinstate_certificate(
        actor=p.reviewer, cert_id=key, note="复核后恢复证书", now=NOW
    ),
}


@pytest.mark.parametrize("key", [TOO_LONG, WITH_NUL], ids=["too-long", "nul"])
@pytest.mark.parametrize("use_case", sorted(USE_CASES))
async def test_an_impossible_id_is_not_found(db, deps, use_case: str, key: str) -> None:
    people = await make_people(deps)
    with pytest.raises(NotFound):
        await USE_CASES[use_case](people, key)


async def test_a_correction_request_for_an_impossible_cert_id_is_not_found(db, deps) -> None:
    people = await make_people(deps)
    with pytest.raises(NotFound):
        await corrections.request_correction(
            actor=people.applicant,
            cert_id=TOO_LONG,
            reason="专业名称有误",
            changes={"specialty": "给排水"},
            catalog=await current_catalog(),
            pii=deps.pii,
            now=NOW,
        )


def test_can_be_key_follows_the_column() -> None:
    assert can_be_key(Registration, "public_id", "0" * 32)
    assert not can_be_key(Registration, "public_id", TOO_LONG)
    assert not can_be_key(Registration, "public_id", WITH_NUL)
    assert not can_be_key(Registration, "public_id", 12)
