"""Every registration the form accepts can be issued: the QR budget is checked where values
enter (each step, the submission), never first at approval.

The issue's case: a senior paper certificate with a 25-character committee name and a
25-character local specialty (holder 欧阳娜娜娜) needed QR version 16 and could not be issued.
"""

from __future__ import annotations

from typing import Any

import pytest

from crypto import MAX_QR_VERSION, decode_qr_image, qr_png, qr_version
from schema.errors import InvalidInput
from schema.models import Registration
from schema.qr_fit import QR_TOO_LONG, qr_overflow
from schema.registration_form import Step
from schema.services import registrations, review
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_applicant
from tests.support.flows import (
    PAPER_2015_TITLE,
    actor_of,
    make_people,
    portrait_jpeg,
)
from tests.support.settings import test_pii

LONGEST_NAME = "阿" * 20  # normalize_person_name: at most 20 Han characters
LONGEST_NUMBER = "0113" + "9" * 26  # the longest paper number the rule accepts
LONGEST_LOCAL_SPECIALTY = "专" * 64  # MAX_LENGTHS["local_specialty"]
COMMITTEE = "评审委员会"


def _document(review_body: str, number: str = "0113 2015 0042") -> dict[str, Any]:
    return {
        "approvalDocument": "渝职改办[2015]178号",
        "obtainedOn": "2015-11-20",
        "issuedOn": "2015-12-30",
        "certificateNumber": number,
        "reviewBody": review_body,
        "validityScope": "全市",
    }


def _committee(length: int) -> str:
    return "工" * (length - len(COMMITTEE)) + COMMITTEE


async def _save(actor: Any, reg: Registration, step: Step, values: dict[str, Any]) -> None:
    await registrations.save_step(
        actor=actor,
        registration_id=reg.public_id,
        step=step,
        submitted=values,
        catalog=await current_catalog(),
        pii=test_pii(),
        now=NOW,
    )


async def _submit_and_approve(deps: Any, people: Any, applicant: Any, reg: Registration) -> Any:
    catalog = await current_catalog()
    await registrations.attach_photo(
        actor=applicant, registration_id=reg.public_id, data=portrait_jpeg(),
        store=deps.store, catalog=catalog, now=NOW,
    )  # fmt: skip
    await registrations.submit_registration(
        actor=applicant, registration_id=reg.public_id, catalog=catalog, pii=deps.pii, now=NOW
    )
    return await review.approve_registration(
        actor=people.admin, registration_id=reg.public_id, issuer=deps.issuer,
        catalog=catalog, now=NOW,
    )  # fmt: skip


async def _longest_name_and_specialty(deps: Any) -> tuple[Any, Registration]:
    """A senior paper registration by the longest name, with the longest local specialty."""
    applicant = actor_of(
        (await make_applicant(deps, name=LONGEST_NAME, id_number="500112199001011239")).account
    )
    reg = await registrations.create_registration(actor=applicant, now=NOW)
    await _save(applicant, reg, Step.TITLE, PAPER_2015_TITLE)
    await _save(
        applicant,
        reg,
        Step.SPECIALTY,
        {"specialty": "其他", "localSpecialty": LONGEST_LOCAL_SPECIALTY},
    )
    return applicant, reg


def _assert_scannable(cert: Any) -> None:
    version = qr_version(cert.verification_url)
    assert version <= MAX_QR_VERSION, f"issued QR needs version {version}"
    decoded = decode_qr_image(qr_png(cert.verification_url, scale=3))
    assert decoded == cert.verification_url, "the issued QR does not decode to its URL"


async def test_the_reported_senior_certificate_with_long_names_is_issued(db, deps):
    people = await make_people(deps)
    applicant = actor_of(
        (await make_applicant(deps, name="欧阳娜娜娜", id_number="500112199001011239")).account
    )
    reg = await registrations.create_registration(actor=applicant, now=NOW)
    await _save(applicant, reg, Step.TITLE, PAPER_2015_TITLE)
    await _save(applicant, reg, Step.DOCUMENT, _document(_committee(25)))
    await _save(applicant, reg, Step.SPECIALTY, {"specialty": "其他", "localSpecialty": "专" * 25})

    cert = await _submit_and_approve(deps, people, applicant, reg)

    _assert_scannable(cert)
    assert cert.review_body == _committee(25), "the committee name was not kept whole"


async def test_every_free_text_at_its_maximum_is_refused_at_its_step(db, deps):
    """Longest name, number, local specialty and committee name: the step that would make
    the certificate unscannable refuses in Chinese, on the field to shorten, saving nothing."""
    await make_people(deps)
    applicant, reg = await _longest_name_and_specialty(deps)

    with pytest.raises(InvalidInput) as refused:
        await _save(applicant, reg, Step.DOCUMENT, _document(_committee(100), LONGEST_NUMBER))

    (problem,) = refused.value.problems
    assert (problem.code, problem.field) == (QR_TOO_LONG, "reviewBody"), problem
    assert "二维码" in problem.message and "评审机构" in problem.message, problem.message
    stored = await Registration.get(public_id=reg.public_id)
    assert stored.review_body is None, "a refused step saved its review body"


async def test_the_longest_accepted_values_are_issued_and_one_more_character_is_refused(db, deps):
    """At the budget's edge: every other free text at its maximum, the committee name as long
    as the check admits — it is issued and scans; one character more is refused at the step."""
    people = await make_people(deps)
    applicant, reg = await _longest_name_and_specialty(deps)
    stored = await Registration.get(public_id=reg.public_id)
    values = {**registrations.stored_values(stored), "certificate_number": LONGEST_NUMBER}
    catalog = await current_catalog()

    def fits(length: int) -> bool:
        candidate = {**values, "review_body": _committee(length)}
        return not qr_overflow(
            candidate, holder_name=LONGEST_NAME, holder_id_masked=stored.holder_id_masked,
            catalog=catalog,
        )  # fmt: skip

    longest = max(n for n in range(len(COMMITTEE), 101) if fits(n))
    with pytest.raises(InvalidInput) as refused:
        await _save(
            applicant, reg, Step.DOCUMENT, _document(_committee(longest + 1), LONGEST_NUMBER)
        )
    assert refused.value.problems[0].code == QR_TOO_LONG, refused.value.problems
    await _save(applicant, reg, Step.DOCUMENT, _document(_committee(longest), LONGEST_NUMBER))

    cert = await _submit_and_approve(deps, people, applicant, reg)

    _assert_scannable(cert)
