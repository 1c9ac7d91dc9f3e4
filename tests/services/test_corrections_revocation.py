"""Corrections (更正) and revocation (撤销) through the services (both databases).

A correction never edits a signed certificate: it issues a new signed version in the same
lineage, and the old one points to it. Revocation keeps a public category and a private note;
reinstatement is its own audited action.
"""

from __future__ import annotations

import pytest

from schema.enums import Role
from schema.errors import Conflict, InvalidInput, InvalidState, NotFound
from schema.models import (
    AuditRecord,
    Certificate,
    CertificateStatus,
    CorrectionRequest,
    CorrectionStatus,
    IssuedNumber,
    Registration,
)
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import corrections, history, holder_certificates, review, revocation
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_staff
from tests.support.flows import (
    PAPER_2015_DOCUMENT,
    PAPER_2015_TITLE,
    YUBEI_TITLE,
    actor_of,
    fill_and_submit,
    issue_yubei_certificate,
    make_people,
)
from tests.support.settings import test_pii

OTHER_REVIEWER_ID = "50010119850101001" + mod11_2_check_char("50010119850101001")
REASON = "登记时专业选择有误，评审表为建筑工程"


async def _request(people, cert, changes, reason=REASON):
    return await corrections.request_correction(
        actor=people.applicant,
        cert_id=cert.cert_id,
        reason=reason,
        changes=changes,
        catalog=await current_catalog(),
        pii=test_pii(),
        now=NOW,
    )


async def _decide(deps, request, *, actor, approve, note=None):
    return await corrections.decide_correction(
        actor=actor,
        correction_id=request.public_id,
        approve=approve,
        note=note,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )


async def test_approved_correction_issues_a_new_signed_version_in_the_same_lineage(db, deps):
    people = await make_people(deps)
    old = await issue_yubei_certificate(deps, people)
    request = await _request(people, old, {"specialty": "建筑工程"})
    decided = await _decide(deps, request, actor=people.reviewer, approve=True)

    assert decided.status is CorrectionStatus.APPROVED
    new = await Certificate.get(id=decided.new_certificate_id)
    old = await Certificate.get(id=old.id)
    assert (new.version, new.lineage_id, new.number) == (2, old.lineage_id, old.number)
    assert (new.specialty, old.specialty) == ("建筑工程", "给排水")
    assert new.kid and new.signed_payload and new.signed_payload != old.signed_payload
    assert (old.status, old.superseded_by_id) == (CertificateStatus.SUPERSEDED, new.id)
    assert new.status is CertificateStatus.VALID
    reg = await Registration.get(id=old.registration_id)
    assert reg.specialty == "05-001"  # the registration follows the correction
    events = [
        a.action
        for a in await history.certificate_history(actor=people.reviewer, cert_id=new.cert_id)
    ]
    assert events == [
        "certificate.issued",
        "correction.requested",
        "certificate.superseded",
        "certificate.issued",
    ]


async def test_rejection_is_recorded_in_the_certificate_history(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    request = await _request(people, cert, {"specialty": "建筑工程"})
    with pytest.raises(InvalidInput) as caught:
        await _decide(deps, request, actor=people.reviewer, approve=False)
    assert caught.value.code == "CORRECTION_REJECT_REASON"
    await _decide(
        deps, request, actor=people.reviewer, approve=False, note="与评审表一致，不予更正"
    )

    entries = await history.certificate_history(actor=people.reviewer, cert_id=cert.cert_id)
    rejected = [a for a in entries if a.action == "correction.rejected"]
    assert [(a.entity_id, a.note) for a in rejected] == [(cert.cert_id, "与评审表一致，不予更正")]
    assert (await Certificate.get(id=cert.id)).status is CertificateStatus.VALID


async def test_holder_sees_own_correction_requests_with_the_decision(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    request = await _request(people, cert, {"specialty": "建筑工程"})
    await _decide(deps, request, actor=people.reviewer, approve=False, note="不予更正")
    mine = await corrections.my_correction_requests(actor=people.applicant)
    assert [(r.public_id, r.status, r.decision_note) for r in mine.items] == [
        (request.public_id, CorrectionStatus.REJECTED, "不予更正")
    ]
    assert await corrections.my_correction_requests(actor=people.applicant) == mine
    with pytest.raises(Exception) as caught:
        await corrections.my_correction_requests(actor=people.reviewer)
    assert getattr(caught.value, "code", None) == "FORBIDDEN"


async def _pending_requests(deps, people) -> list[str]:
    """Three certificates of the holder (three specialties), each with a pending request."""
    ids = []
    for specialty, corrected in (
        ("给排水", "岩土工程"),
        ("建筑工程", "工程造价"),
        ("市政工程", "工程管理"),
    ):
        reg = await fill_and_submit(
            deps, people.applicant, title=YUBEI_TITLE, specialty={"specialty": specialty}
        )
        cert = await review.approve_registration(
            actor=people.reviewer,
            registration_id=reg.public_id,
            issuer=deps.issuer,
            catalog=await current_catalog(),
            now=NOW,
        )
        ids.append((await _request(people, cert, {"specialty": corrected})).public_id)
    return ids


async def test_pending_corrections_page_oldest_first_with_cursors(db, deps):
    people = await make_people(deps)
    ids = await _pending_requests(deps, people)

    async def pending(first, after=None):
        page = await corrections.pending_corrections(
            actor=people.reviewer, first=first, after=after
        )
        return [r.public_id for r in page.items], page.has_next_page, page.end_cursor

    first, more, cursor = await pending(1)
    assert (first, more) == (ids[:1], True)
    assert (await pending(1, cursor))[:2] == (ids[1:2], True)
    assert (await pending(5, cursor))[:2] == (ids[1:], False)
    # A decided request leaves the list; a cursor already handed out still works.
    decided = await CorrectionRequest.get(public_id=ids[1])
    await _decide(deps, decided, actor=people.reviewer, approve=False, note="不予更正")
    assert (await pending(5, cursor))[:2] == (ids[2:], False)
    assert (await pending(5))[:2] == ([ids[0], ids[2]], False)


async def test_holder_correction_requests_page_newest_first(db, deps):
    people = await make_people(deps)
    ids = await _pending_requests(deps, people)
    page = await corrections.my_correction_requests(actor=people.applicant, first=2)
    assert ([r.public_id for r in page.items], page.has_next_page) == ([ids[2], ids[1]], True)
    rest = await corrections.my_correction_requests(
        actor=people.applicant, first=2, after=page.end_cursor
    )
    assert ([r.public_id for r in rest.items], rest.has_next_page) == ([ids[0]], False)
    certs = await holder_certificates.my_certificates(actor=people.applicant, first=2)
    more = await holder_certificates.my_certificates(actor=people.applicant, after=certs.end_cursor)
    assert len(certs.items) == 2 and certs.has_next_page and len(more.items) == 1
    assert [c.id for c in certs.items + more.items] == sorted(c.id for c in await Certificate.all())
    # A cursor of one list is not a cursor of another; page sizes are 1 to 100.
    with pytest.raises(InvalidInput) as caught:
        await corrections.pending_corrections(actor=people.reviewer, after=page.end_cursor)
    assert caught.value.code == "CURSOR_INVALID"
    with pytest.raises(InvalidInput) as caught:
        await corrections.pending_corrections(actor=people.reviewer, first=0)
    assert caught.value.code == "PAGE_SIZE"


async def test_photo_correction_is_refused_with_a_code_not_a_crash(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    with pytest.raises(InvalidInput) as caught:
        await _request(people, cert, {"photo": "新照片"})
    assert caught.value.code == "CORRECTION_PHOTO_NOT_ONLINE"


async def test_corrected_paper_number_is_the_new_versions_number(db, deps):
    people = await make_people(deps)
    reg = await fill_and_submit(
        deps, people.applicant, title=PAPER_2015_TITLE, document=PAPER_2015_DOCUMENT
    )
    old = await review.approve_registration(
        actor=people.admin,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )
    assert old.number == "011320150042"
    request = await _request(
        people, old, {"certificateNumber": "0113 2015 0043"}, reason="纸质证书编号抄录错误"
    )
    decided = await _decide(deps, request, actor=people.admin, approve=True)
    new = await Certificate.get(id=decided.new_certificate_id)
    assert new.number == "011320150043"
    claimed = await IssuedNumber.filter(lineage_id=old.lineage_id).values_list("number", flat=True)
    assert claimed == ["011320150043"]


async def test_corrected_authority_is_on_the_new_version(db, deps):
    people = await make_people(deps)
    # Not a Yubei certificate: that batch fixes the authority.
    reg = await fill_and_submit(
        deps,
        people.applicant,
        title={
            "source": "OFFLINE_REVIEW",
            "level": "ZHONG",
            "series": "05",
            "titleName": "工程师",
            "wayObtained": "PS",
        },
        document={
            "approvalDocument": "渝北职改办〔2023〕5号",
            "obtainedOn": "2023-06-20",
            "issuedOn": "2023-07-10",
            "authority": "渝北区人力资源和社会保障局",
            "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
            "validityScope": "全市",
        },
        specialty={"specialty": "建筑工程"},
    )
    cert = await review.approve_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )
    request = await _request(people, cert, {"authority": "江北区"}, reason="审批机关选择错误")
    decided = await _decide(deps, request, actor=people.reviewer, approve=True)
    new = await Certificate.get(id=decided.new_certificate_id)
    assert new.authority_code == "500105"


async def test_other_authority_cannot_decide_a_correction(db, deps):
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    request = await _request(people, cert, {"specialty": "建筑工程"})
    other = await make_staff(
        deps,
        role=Role.REVIEWER,
        id_number=OTHER_REVIEWER_ID,
        authority_code="500101",
        mobile="13900002222",
    )
    assert [
        r.public_id
        for r in (await corrections.pending_corrections(actor=actor_of(other.account))).items
    ] == []
    with pytest.raises(NotFound) as caught:
        await _decide(deps, request, actor=actor_of(other.account), approve=True)
    assert caught.value.code == "CORRECTION_NOT_FOUND"


async def test_revocation_keeps_category_public_and_note_private_and_reinstates(db, deps):
    people = await make_people(deps)
    catalog = await current_catalog()
    cert = await issue_yubei_certificate(deps, people)
    with pytest.raises(InvalidInput) as caught:
        await revocation.revoke_certificate(
            actor=people.reviewer,
            cert_id=cert.cert_id,
            reason_code="NOPE",
            note=None,
            catalog=catalog,
            now=NOW,
        )
    assert caught.value.code == "REVOCATION_REASON_UNKNOWN"
    revoked = await revocation.revoke_certificate(
        actor=people.reviewer,
        cert_id=cert.cert_id,
        reason_code="DUPLICATE",
        note=None,
        catalog=catalog,
        now=NOW,
    )
    assert (revoked.status, revoked.revocation_reason) == (CertificateStatus.REVOKED, "DUPLICATE")
    with pytest.raises(InvalidState) as caught:
        await revocation.revoke_certificate(
            actor=people.reviewer,
            cert_id=cert.cert_id,
            reason_code="DUPLICATE",
            note=None,
            catalog=catalog,
            now=NOW,
        )
    assert caught.value.code == "CERTIFICATE_NOT_VALID"
    with pytest.raises(InvalidState) as caught:
        await _request(people, cert, {"specialty": "建筑工程"})
    assert caught.value.code == "CERTIFICATE_NOT_VALID"

    back = await revocation.reinstate_certificate(
        actor=people.reviewer, cert_id=cert.cert_id, note="重复发证认定有误，予以恢复", now=NOW
    )
    assert (back.status, back.revocation_reason, back.revoked_at) == (
        CertificateStatus.VALID,
        None,
        None,
    )
    with pytest.raises(InvalidState) as caught:
        await revocation.reinstate_certificate(
            actor=people.reviewer, cert_id=cert.cert_id, note="再次恢复证书理由", now=NOW
        )
    assert caught.value.code == "CERTIFICATE_NOT_REVOKED"
    actions = (
        await AuditRecord.filter(entity_id=cert.cert_id)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["certificate.issued", "certificate.revoked", "certificate.reinstated"]


async def test_superseded_version_cannot_be_revoked(db, deps):
    people = await make_people(deps)
    old = await issue_yubei_certificate(deps, people)
    request = await _request(people, old, {"specialty": "建筑工程"})
    await _decide(deps, request, actor=people.reviewer, approve=True)
    with pytest.raises(InvalidState) as caught:
        await revocation.revoke_certificate(
            actor=people.reviewer,
            cert_id=old.cert_id,
            reason_code="DUPLICATE",
            note=None,
            catalog=await current_catalog(),
            now=NOW,
        )
    assert caught.value.code == "CERTIFICATE_NOT_VALID"


async def test_corrected_values_still_identify_the_certificate(db, deps):
    """After 给排水 → 建筑工程 the corrected certificate cannot be registered again."""
    people = await make_people(deps)
    old = await issue_yubei_certificate(deps, people)
    request = await _request(people, old, {"specialty": "建筑工程"})
    await _decide(deps, request, actor=people.reviewer, approve=True)

    with pytest.raises(Conflict) as caught:
        await fill_and_submit(
            deps, people.applicant, title=YUBEI_TITLE, specialty={"specialty": "建筑工程"}
        )
    assert (caught.value.code, caught.value.ref) == (
        "SCOPE_ALREADY_REGISTERED",
        (await Registration.get(id=old.registration_id)).public_id,
    )
