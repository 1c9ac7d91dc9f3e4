"""Notice Q1/Q8: title-system results become signed certificates with no registration and
no review when their photo passes; otherwise 待完善 → new photo → photo review → issued."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from crypto import verify_offline
from schema import rules
from schema.enums import VerificationState
from schema.models import (
    AuditRecord,
    Certificate,
    CertificateStatus,
    ImportIssue,
    ImportKind,
    Registration,
    RegistrationStatus,
)
from schema.services import registrations, review
from schema.services.collection_rows import GENERATION_FAILED
from schema.services.holder_certificates import holder_qr
from schema.services.reference import current_catalog
from schema.services.signing_keys import published_jwks
from schema.services.verification import outcome_for_record
from tests.support.collection import TITLE_ROW, importer, load, photos_zip, write_csv
from tests.support.factories import ID_MALE_1985, NOW
from tests.support.flows import make_people, portrait_jpeg


def _landscape() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (240, 240, 240)).save(out, "JPEG")
    return out.getvalue()


async def _load_title_row(deps, tmp_path, photos: dict[str, bytes] | None, **row: str):
    path = write_csv(tmp_path / "results.csv", [{**TITLE_ROW, **row}])
    archive = photos_zip(tmp_path / "photos.zip", photos) if photos is not None else None
    return await load(
        deps, await importer(deps), path, kind=ImportKind.TITLE_SYSTEM, photos=archive
    )


async def test_a_result_with_a_good_photo_is_issued_at_once(db, deps, tmp_path):
    await make_people(deps)  # the signing key
    job = await _load_title_row(deps, tmp_path, {f"{ID_MALE_1985}.jpg": portrait_jpeg()})
    reg = await Registration.get(import_job_id=job.id)
    cert = await Certificate.get(registration_id=reg.id)
    assert (job.issued_count, reg.status, cert.status, cert.provenance.value) == (
        1,
        RegistrationStatus.APPROVED,
        CertificateStatus.VALID,
        "NATIVE",
    )
    number = rules.validate_system_number(cert.number)  # 2021+ number with its check char
    assert number.year == 2023


async def test_an_issued_certificate_verifies_offline_and_on_the_page(db, deps, tmp_path):
    await make_people(deps)
    job = await _load_title_row(deps, tmp_path, {f"{ID_MALE_1985}.jpg": portrait_jpeg()})
    cert = await Certificate.get(registration__import_job_id=job.id)
    verified = verify_offline(cert.verification_url or "", await published_jwks())
    outcome = await outcome_for_record(cert, catalog=await current_catalog(), now=NOW)
    assert (verified.claims.cert_id, outcome.state) == (cert.cert_id, VerificationState.VALID)


async def test_the_holder_qr_is_drawn_on_first_download_and_decodes_to_the_url(db, deps, tmp_path):
    people = await make_people(deps)
    job = await _load_title_row(deps, tmp_path, {f"{ID_MALE_1985}.jpg": portrait_jpeg()})
    cert = await Certificate.get(registration__import_job_id=job.id)
    assert cert.qr_png_sha256 is None  # not drawn at issuance
    qr = await holder_qr(actor=people.applicant, cert_id=cert.cert_id, store=deps.store)
    decoded = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(qr.qr_png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert [d.text for d in decoded] == [cert.verification_url]
    assert (await Certificate.get(id=cert.id)).qr_png_sha256 is not None


async def test_issuance_is_audited_as_automatic(db, deps, tmp_path):
    await make_people(deps)
    job = await _load_title_row(deps, tmp_path, {f"{ID_MALE_1985}.jpg": portrait_jpeg()})
    audit = await AuditRecord.get(action="certificate.issued")
    assert (audit.after["automatic"], audit.note) == (True, f"import:{job.public_id}")


async def test_a_failing_photo_leaves_the_record_incomplete_with_the_notice_reason(
    db, deps, tmp_path
):
    await make_people(deps)
    job = await _load_title_row(deps, tmp_path, {f"{ID_MALE_1985}.jpg": _landscape()})
    reg = await Registration.get(import_job_id=job.id)
    assert (job.issued_count, reg.status, reg.missing) == (
        0,
        RegistrationStatus.INCOMPLETE,
        ["photo"],
    )
    assert reg.incomplete_reason is not None and reg.incomplete_reason.startswith(GENERATION_FAILED)
    assert await Certificate.all().count() == 0


async def test_a_missing_photo_says_so(db, deps, tmp_path):
    await make_people(deps)
    job = await _load_title_row(deps, tmp_path, {})
    reg = await Registration.get(import_job_id=job.id)
    assert reg.incomplete_reason == f"{GENERATION_FAILED}（照片包中没有该人员的照片）"


async def _upload_and_submit(deps, people, reg_id: str) -> Registration:
    catalog = await current_catalog()
    await registrations.attach_photo(
        actor=people.applicant,
        registration_id=reg_id,
        data=portrait_jpeg(),
        store=deps.store,
        catalog=catalog,
        now=NOW,
    )
    return await registrations.submit_registration(
        actor=people.applicant, registration_id=reg_id, catalog=catalog, pii=deps.pii, now=NOW
    )


async def test_new_photo_then_photo_approval_generates_the_certificate(db, deps, tmp_path):
    people = await make_people(deps)
    job = await _load_title_row(deps, tmp_path, None)
    reg = await Registration.get(import_job_id=job.id)
    submitted = await _upload_and_submit(deps, people, reg.public_id)
    assert submitted.status is RegistrationStatus.PHOTO_REVIEW
    queue = await review.review_queue(
        actor=people.reviewer, filters=review.QueueFilter(status=RegistrationStatus.PHOTO_REVIEW)
    )
    assert [r.public_id for r in queue.items] == [reg.public_id]
    cert = await review.approve_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
        status=RegistrationStatus.PHOTO_REVIEW,
    )
    assert rules.validate_system_number(cert.number).year == 2023
    assert cert.holder_id == people.applicant.account_id


async def test_a_refused_photo_goes_back_to_incomplete_with_the_reason(db, deps, tmp_path):
    people = await make_people(deps)
    job = await _load_title_row(deps, tmp_path, None)
    reg = await Registration.get(import_job_id=job.id)
    await _upload_and_submit(deps, people, reg.public_id)
    back = await review.return_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        reason_code="PHOTO_UNCLEAR",
        note=None,
        catalog=await current_catalog(),
        now=NOW,
        status=RegistrationStatus.PHOTO_REVIEW,
    )
    assert (back.status, back.missing, back.photo_sha256) == (
        RegistrationStatus.INCOMPLETE,
        ["photo"],
        None,
    )
    assert back.incomplete_reason is not None and "照片不清晰" in back.incomplete_reason


async def test_pre_2021_results_are_refused_for_automatic_generation(db, deps, tmp_path):
    await make_people(deps)
    job = await _load_title_row(deps, tmp_path, None, 取得时间="2020-06-30", 发证时间="2020-08-01")
    codes = await ImportIssue.filter(job_id=job.id).values_list("code", flat=True)
    assert "IMPORT_BEFORE_2021" in codes and job.created_count == 0


async def test_senior_results_are_refused_for_automatic_generation(db, deps, tmp_path):
    await make_people(deps)
    job = await _load_title_row(
        deps,
        tmp_path,
        None,
        职称级别="副高级",
        职称名称="高级工程师",
        审批机关="",
        评审机构="重庆市工程技术高级职称评审委员会",
    )
    codes = await ImportIssue.filter(job_id=job.id).values_list("code", flat=True)
    assert "IMPORT_TITLE_SYSTEM_SENIOR" in codes and job.created_count == 0
