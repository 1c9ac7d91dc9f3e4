"""Whole flows built through the real services: a registered applicant, a submitted
registration, a reviewer, an issued certificate."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw

from schema.actor import Actor
from schema.enums import Role
from schema.http_edge.deps import Deps
from schema.models import Account, Certificate, Registration
from schema.registration_form import Step
from schema.services import holder_certificates, registrations, review, signing_keys
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_applicant, make_staff

REVIEWER_ID = "500243199212310562"
ADMIN_ID = "500101198802290019"
SIGNER_ID = "50010319870615006X"

YUBEI_TITLE = {
    "source": "OFFLINE_REVIEW",
    "level": "ZHONG",
    "series": "05",
    "titleName": "工程师",
    "wayObtained": "PS",
    "batch": "YUBEI_ENG_ZHONG_2021",
    "employerType": "区属国有企业",
}
PAPER_2015_TITLE = {
    "source": "PAPER",
    "level": "FU_GAO",
    "series": "05",
    "titleName": "高级工程师",
    "wayObtained": "PS",
}
PAPER_2015_DOCUMENT = {
    "approvalDocument": "渝职改办[2015]178号",
    "obtainedOn": "2015-11-20",
    "issuedOn": "2015-12-30",
    "certificateNumber": "0113 2015 0042",
    "reviewBody": "重庆市工程技术高级职称评审委员会",
    "validityScope": "全市",
}


def portrait_jpeg(seed: int = 0) -> bytes:
    """A real portrait photo-like JPEG (358×441 after normalisation)."""
    image = Image.new("RGB", (413, 531), (245, 245, 250))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120 + seed % 7, 90, 290, 300), fill=(220, 180, 150))
    draw.rectangle((80, 330, 330, 531), fill=(40, 60, 90 + seed % 50))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def actor_of(account: Account, role: Role | None = None) -> Actor:
    return Actor(
        account_id=account.id,
        public_id=account.public_id,
        name=account.name,
        role=role or account.role,
        authority_code=account.authority_code,
    )


@dataclass
class People:
    applicant: Actor
    reviewer: Actor
    admin: Actor
    signer: Actor


async def make_people(deps: Deps, *, authority: str = "500112") -> People:
    applicant = (await make_applicant(deps)).account
    reviewer = (
        await make_staff(deps, role=Role.REVIEWER, id_number=REVIEWER_ID, authority_code=authority)
    ).account
    admin = (await make_staff(deps, role=Role.ADMIN, id_number=ADMIN_ID, name="王管理")).account
    signer = (await make_staff(deps, role=Role.SIGNER, id_number=SIGNER_ID, name="赵签章")).account
    await signing_keys.create_key(
        actor=actor_of(signer),
        passphrase=deps.settings.signing_passphrase.reveal(),
        now=NOW - timedelta(days=30),
    )
    return People(actor_of(applicant), actor_of(reviewer), actor_of(admin), actor_of(signer))


async def fill_and_submit(
    deps: Deps,
    applicant: Actor,
    *,
    title: dict[str, Any],
    document: dict[str, Any] | None = None,
    specialty: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> Registration:
    catalog = await current_catalog()
    reg = await registrations.create_registration(actor=applicant, now=now)
    for step, values in (
        (Step.TITLE, title),
        (Step.DOCUMENT, document or {}),
        (Step.SPECIALTY, specialty or {"specialty": "给排水"}),
    ):
        if values or step is not Step.DOCUMENT:
            await registrations.save_step(
                actor=applicant,
                registration_id=reg.public_id,
                step=step,
                submitted=values,
                catalog=catalog,
                pii=deps.pii,
                now=now,
            )
    await registrations.attach_photo(
        actor=applicant,
        registration_id=reg.public_id,
        data=portrait_jpeg(),
        store=deps.store,
        catalog=catalog,
        now=now,
    )
    return await registrations.submit_registration(
        actor=applicant, registration_id=reg.public_id, catalog=catalog, pii=deps.pii, now=now
    )


async def holder_download(deps: Deps, cert: Certificate) -> holder_certificates.HolderQr:
    """The certificate's QR material as its holder downloads it. Approval draws no QR image:
    the first download draws both and stores them (``cert.qr_png_sha256`` is set from then
    on, in the database: read the row again)."""
    holder = await Account.get(id=cert.holder_id)
    return await holder_certificates.holder_qr(
        actor=actor_of(holder), cert_id=cert.cert_id, store=deps.store
    )


async def issue_yubei_certificate(deps: Deps, people: People) -> Certificate:
    reg = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    return await review.approve_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )
