"""Certificates in each public state, built through the real services, and URL helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from schema.actor import Actor
from schema.http_edge.deps import Deps
from schema.models import Certificate
from schema.services.corrections import decide_correction, request_correction
from schema.services.reference import current_catalog
from schema.services.review import approve_registration
from schema.services.revocation import revoke_certificate
from tests.support.factories import NOW, make_applicant
from tests.support.flows import (
    YUBEI_TITLE,
    People,
    actor_of,
    fill_and_submit,
    issue_yubei_certificate,
    make_people,
)

OFFICIAL_ORIGIN = "HTTPS://VERIFY.ECERT.TEST"
PRIVATE_NOTE = "内部说明：审核员张某某误将他人材料录入（不得公开）"


def local_path(url: str) -> str:
    """The path of an official verification URL: the test server stands in for the origin."""
    assert url.upper().startswith(OFFICIAL_ORIGIN + "/V/"), url
    parts = urlsplit(url)
    assert not parts.query and not parts.fragment
    return parts.path


SECOND_HOLDER_ID = "500112199003150021"  # synthetic, valid check digit


@dataclass
class States:
    """A certificate in each public state (有效 / 已更正 / 已撤销) on one database."""

    people: People
    superseded: Certificate  # version 1 of the first holder's certificate (已更正)
    valid: Certificate  # version 2, which superseded it (有效)
    revoked: Certificate  # the second holder's certificate (已撤销)
    second_holder: Actor


async def supersede(deps: Deps, people: People, cert: Certificate) -> Certificate:
    """Correct the specialty through the real correction flow; returns the new version."""
    catalog = await current_catalog()
    request = await request_correction(
        actor=people.applicant,
        cert_id=cert.cert_id,
        reason="评审表上的评审专业为暖通空调，登记时填错",
        changes={"specialty": "暖通空调"},
        catalog=catalog,
        pii=deps.pii,
        now=NOW + timedelta(days=1),
    )
    decided = await decide_correction(
        actor=people.reviewer,
        correction_id=request.public_id,
        approve=True,
        note="核对评审表无误",
        issuer=deps.issuer,
        catalog=catalog,
        now=NOW + timedelta(days=2),
    )
    return await Certificate.get(id=decided.new_certificate_id)


async def revoke(people: People, cert: Certificate) -> Certificate:
    return await revoke_certificate(
        actor=people.reviewer,
        cert_id=cert.cert_id,
        reason_code="ISSUED_IN_ERROR",
        note=PRIVATE_NOTE,
        catalog=await current_catalog(),
        now=NOW + timedelta(days=3),
    )


async def second_holder(deps: Deps) -> Actor:
    account = (
        await make_applicant(
            deps, name="欧阳娜娜", id_number=SECOND_HOLDER_ID, mobile="13600002222"
        )
    ).account
    return actor_of(account)


async def issue_for(deps: Deps, people: People, applicant: Actor) -> Certificate:
    reg = await fill_and_submit(deps, applicant, title=YUBEI_TITLE)
    return await approve_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )


async def certificates_in_every_state(deps: Deps) -> States:
    people = await make_people(deps)
    first = await issue_yubei_certificate(deps, people)
    current = await supersede(deps, people, first)
    other = await second_holder(deps)
    revoked = await revoke(people, await issue_for(deps, people, other))
    return States(
        people=people,
        superseded=await Certificate.get(id=first.id),
        valid=current,
        revoked=revoked,
        second_holder=other,
    )
