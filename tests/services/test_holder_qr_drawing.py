"""The QR images are drawn once per certificate, at the holder's first download, never on
the approval: approval stores no image; the first download draws PNG and SVG from one
symbol and stores them; later downloads serve the stored bytes without drawing."""

from __future__ import annotations

import hashlib

import pytest
import segno

from crypto import decode_qr_image, qr_svg
from schema.errors import InvalidState
from schema.models import AuditRecord, Certificate, Registration, RegistrationStatus
from schema.qr_fit import QR_TOO_LONG
from schema.services import review
from schema.services.reference import current_catalog
from tests.support.factories import NOW
from tests.support.flows import YUBEI_TITLE, fill_and_submit, holder_download, make_people


def _blob_files(deps) -> set[str]:
    root = deps.settings.data_dir / "blobs"
    return {p.name for p in root.rglob("*") if p.is_file()}


async def test_approval_draws_no_qr_and_the_first_download_draws_both_once(
    db, deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await make_people(deps)
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    files_before = _blob_files(deps)
    cert = await review.approve_registration(
        actor=people.reviewer, registration_id=reg.public_id, issuer=deps.issuer,
        catalog=await current_catalog(), now=NOW,
    )  # fmt: skip

    stored = await Certificate.get(id=cert.id)
    assert (stored.qr_png_sha256, stored.qr_svg_sha256) == (None, None)
    assert _blob_files(deps) == files_before, "approval wrote a file"

    first = await holder_download(deps, cert)
    assert decode_qr_image(first.qr_png) == cert.verification_url
    assert first.qr_svg == qr_svg(cert.verification_url)  # the same symbol as drawn alone
    assert first.qr_png_sha256 == hashlib.sha256(first.qr_png).hexdigest()
    assert first.qr_svg_sha256 == hashlib.sha256(first.qr_svg).hexdigest()
    stored = await Certificate.get(id=cert.id)
    assert (stored.qr_png_sha256, stored.qr_svg_sha256) == (
        first.qr_png_sha256,
        first.qr_svg_sha256,
    )
    assert {first.qr_png_sha256, first.qr_svg_sha256} <= _blob_files(deps)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a stored QR image was drawn again")

    monkeypatch.setattr(segno, "make_qr", refuse)
    monkeypatch.setattr(segno, "make", refuse)
    again = await holder_download(deps, cert)
    assert (again.qr_png, again.qr_svg) == (first.qr_png, first.qr_svg)


async def test_a_record_from_before_the_entry_check_is_refused_at_approval_for_size(
    db, deps
) -> None:
    """The entry check (schema.qr_fit) keeps such content out; an older record is refused by
    arithmetic on the URL's length, nothing drawn, and the decision rolls back whole."""
    people = await make_people(deps)
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    # As written before the check existed: the longest name and local specialty the columns
    # hold, together beyond the QR budget (version 21 of at most 20).
    await Registration.filter(id=reg.id).update(
        holder_name="阿" * 50, specialty="其他", local_specialty="专" * 64
    )
    audit_before = await AuditRecord.all().count()

    with pytest.raises(InvalidState) as refused:
        await review.approve_registration(
            actor=people.reviewer, registration_id=reg.public_id, issuer=deps.issuer,
            catalog=await current_catalog(), now=NOW,
        )  # fmt: skip

    assert refused.value.code == QR_TOO_LONG
    assert "二维码" in refused.value.message
    assert await Certificate.all().count() == 0
    assert (await Registration.get(id=reg.id)).status is RegistrationStatus.SUBMITTED
    assert await AuditRecord.all().count() == audit_before
