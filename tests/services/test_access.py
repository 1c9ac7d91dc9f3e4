"""The access policy (schema/access.py) with real accounts on both databases: each gate
admits the right actor and refuses the wrong one, and every use case refuses with the
gate's one message and code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from schema.access import (
    HOLDER_ONLY,
    REVIEWER_ONLY,
    holder_account,
    require_holder,
    require_holder_of,
    require_reviewer,
    require_reviewer_of,
)
from schema.actor import SYSTEM, Actor
from schema.enums import Role
from schema.errors import Forbidden, NotFound
from schema.models import Certificate, Registration
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import (
    corrections,
    history,
    holder_certificates,
    registrations,
    review,
    revocation,
)
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_applicant, make_staff
from tests.support.flows import actor_of, issue_yubei_certificate, make_people

OTHER_REVIEWER_ID = "50010119850101001" + mod11_2_check_char("50010119850101001")  # 万州区
SECOND_HOLDER_ID = "500112199003150021"


def _missing() -> NotFound:
    return NotFound("记录不存在", code="TEST_NOT_FOUND")


async def _other_reviewer(deps: Any) -> Actor:
    staff = await make_staff(
        deps,
        role=Role.REVIEWER,
        id_number=OTHER_REVIEWER_ID,
        authority_code="500101",
        mobile="13900002222",
    )
    return actor_of(staff.account)


async def _second_holder(deps: Any) -> Actor:
    account = await make_applicant(
        deps, name="李四", id_number=SECOND_HOLDER_ID, mobile="13812345678"
    )
    return actor_of(account.account)


def _assert_refused_by(caught: pytest.ExceptionInfo[Forbidden], message: str) -> None:
    assert (caught.value.code, caught.value.message) == ("FORBIDDEN", message)


# --- the reviewer gate -------------------------------------------------------------------


async def test_reviewer_gate_admits_reviewers_and_admins(db, deps):
    people = await make_people(deps)
    assert require_reviewer(people.reviewer) is people.reviewer
    assert require_reviewer(people.admin) is people.admin


async def test_reviewer_gate_refuses_every_other_role(db, deps):
    people = await make_people(deps)
    unbound = Actor(account_id=99, public_id="x", name="未绑定", role=Role.REVIEWER)
    for actor in (people.applicant, people.signer, unbound):
        with pytest.raises(Forbidden) as caught:
            require_reviewer(actor)
        _assert_refused_by(caught, REVIEWER_ONLY)


async def test_reviewer_of_admits_its_authority_and_hides_the_others(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    reg = await Registration.get(id=cert.registration_id)
    other = await _other_reviewer(deps)

    assert require_reviewer_of(people.reviewer, reg, missing=_missing()) is reg
    assert require_reviewer_of(people.admin, cert, missing=_missing()) is cert
    missing = _missing()
    with pytest.raises(NotFound) as caught:
        require_reviewer_of(other, cert, missing=missing)
    assert caught.value is missing
    with pytest.raises(NotFound):
        require_reviewer_of(people.reviewer, None, missing=_missing())
    with pytest.raises(Forbidden) as refused:
        require_reviewer_of(people.applicant, reg, missing=_missing())
    _assert_refused_by(refused, REVIEWER_ONLY)


# --- the holder gate ---------------------------------------------------------------------


async def test_holder_gate_admits_only_a_professionals_own_account(db, deps):
    people = await make_people(deps)
    assert require_holder(people.applicant) is people.applicant
    assert (await holder_account(people.applicant)).id == people.applicant.account_id
    for actor in (people.reviewer, people.admin, people.signer, SYSTEM):
        with pytest.raises(Forbidden) as caught:
            await holder_account(actor)
        _assert_refused_by(caught, HOLDER_ONLY)


async def test_holder_of_admits_own_records_and_hides_anothers(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    reg = await Registration.get(id=cert.registration_id)
    holder = await holder_account(people.applicant)
    stranger = await holder_account(await _second_holder(deps))

    assert require_holder_of(holder, reg, missing=_missing()) is reg
    assert require_holder_of(holder, cert, missing=_missing()) is cert
    for record in (reg, cert, None):
        missing = _missing()
        with pytest.raises(NotFound) as caught:
            require_holder_of(stranger, record, missing=missing)
        assert caught.value is missing


# --- every use case refuses through the gates --------------------------------------------


Call = Callable[[Actor, Certificate], Awaitable[object]]


async def _decide(actor: Actor, cert: Certificate) -> object:
    return await corrections.decide_correction(
        actor=actor,
        correction_id="none",
        approve=True,
        note=None,
        issuer=None,  # type: ignore[arg-type]  # refused before it is needed
        catalog=await current_catalog(),
        now=NOW,
    )


async def _revoke(actor: Actor, cert: Certificate) -> object:
    return await revocation.revoke_certificate(
        actor=actor,
        cert_id=cert.cert_id,
        reason_code="DUPLICATE",
        note="重复登记的证书",
        catalog=await current_catalog(),
        now=NOW,
    )


REVIEWER_PATHS: dict[str, Call] = {
    "review_queue": lambda a, c: review.review_queue(actor=a, filters=review.QueueFilter()),
    "open_registration": lambda a, c: review.open_registration(actor=a, registration_id="x"),
    "pending_corrections": lambda a, c: corrections.pending_corrections(actor=a),
    "decide_correction": _decide,
    "revoke_certificate": _revoke,
    "reinstate_certificate": lambda a, c: revocation.reinstate_certificate(
        actor=a, cert_id=c.cert_id, note="撤销依据已被撤回", now=NOW
    ),
    "certificate_history": lambda a, c: history.certificate_history(actor=a, cert_id=c.cert_id),
}

HOLDER_PATHS: dict[str, Call] = {
    "my_registrations": lambda a, c: registrations.my_registrations(actor=a),
    "create_registration": lambda a, c: registrations.create_registration(actor=a, now=NOW),
    "my_certificates": lambda a, c: holder_certificates.my_certificates(actor=a),
    "get_holder_certificate": lambda a, c: holder_certificates.get_holder_certificate(
        actor=a, cert_id=c.cert_id
    ),
    "my_correction_requests": lambda a, c: corrections.my_correction_requests(actor=a),
}


async def _refusals(
    cert: Certificate, paths: dict[str, Call], actor: Actor
) -> dict[str, tuple[str, str]]:
    """Each path's refusal of ``actor`` (a path that does not refuse is left out)."""
    found: dict[str, tuple[str, str]] = {}
    for name, call in paths.items():
        try:
            await call(actor, cert)
        except Forbidden as exc:
            found[name] = (exc.code, exc.message)
    return found


async def test_every_reviewer_use_case_refuses_with_the_one_message(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    refused = await _refusals(cert, REVIEWER_PATHS, people.signer)
    assert refused == {name: ("FORBIDDEN", REVIEWER_ONLY) for name in REVIEWER_PATHS}


async def test_every_holder_use_case_refuses_with_the_one_message(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    refused = await _refusals(cert, HOLDER_PATHS, people.reviewer)
    assert refused == {name: ("FORBIDDEN", HOLDER_ONLY) for name in HOLDER_PATHS}
