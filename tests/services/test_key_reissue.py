"""Key-compromise recovery drill (both databases): certificates issued under key A, a
rotation to key B, A revoked from a past instant with re-issue, the worker run; then every
affected holder's current certificate verifies 有效 under B, each old QR shows
签名密钥已停用 (page and JSON), what A signed before the instant is untouched, a forgery
under A stays 无法验证, and running the job again re-issues nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from crypto import build_verification_url, decode_claims, sign_claims, unlock
from crypto.signing import parse_cose_sign1
from graphql_api.worker import InProcessWorker
from schema.actor import Actor
from schema.enums import AuditAction, VerificationState
from schema.errors import InvalidState
from schema.http_edge.deps import Deps
from schema.models import (
    AuditRecord,
    BatchStatus,
    Certificate,
    CertificateStatus,
    KeyReissueJob,
    SigningKey,
)
from schema.rules.iso7064 import mod11_2_check_char
from schema.services import corrections, history, holder_certificates, key_reissue, signing_keys
from schema.services.reference import current_catalog
from schema.services.review import approve_registration
from schema.services.verification import verify_stored
from tests.support.client import ApiClient, in_process
from tests.support.collection import collector
from tests.support.factories import NOW, make_applicant
from tests.support.flows import YUBEI_TITLE, People, actor_of, fill_and_submit, make_people
from tests.verify.verify_support import local_path

JSON = {"Accept": "application/json"}
ROTATED_AT = NOW + timedelta(days=1)
REVOKED_FROM = NOW - timedelta(hours=1)  # the compromise began before the last issues
DRILL_AT = NOW + timedelta(days=2)
LABEL = "签名密钥已停用，请持证人重新获取证书"


NAMES = ("赵一", "钱二", "孙三", "李四", "周五")


def _holder_id(n: int) -> str:
    body = f"50011219900315{n:03d}"
    return body + mod11_2_check_char(body)


@dataclass
class Drill:
    people: People
    key_a: str
    key_b: str
    early: Certificate  # signed by A before REVOKED_FROM: untouched
    affected: list[Certificate]  # signed by A from REVOKED_FROM on: re-issued
    holders: list[Actor]


async def _issue(deps: Deps, people: People, holder: Actor, at) -> Certificate:
    reg = await fill_and_submit(deps, holder, title=YUBEI_TITLE, now=at)
    return await approve_registration(
        actor=people.reviewer,
        registration_id=reg.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=at,
    )


async def _drill_setup(deps: Deps) -> Drill:
    people = await make_people(deps)
    holders = [
        actor_of(
            (
                await make_applicant(
                    deps, name=NAMES[n], id_number=_holder_id(n), mobile=f"1360000{n:04d}"
                )
            ).account
        )
        for n in range(1, 5)
    ]
    early = await _issue(deps, people, holders[0], NOW - timedelta(days=2))
    affected = [await _issue(deps, people, h, NOW) for h in holders[1:]]
    key_a = early.kid
    assert key_a and all(c.kid == key_a for c in affected)
    key_b = (
        await signing_keys.rotate_key(
            actor=people.signer,
            passphrase=deps.settings.signing_passphrase.reveal(),
            now=ROTATED_AT,
        )
    ).kid
    return Drill(people, key_a, key_b, early, affected, holders)


async def _revoke_with_reissue(drill: Drill) -> KeyReissueJob:
    await signing_keys.revoke_key(
        actor=drill.people.signer,
        kid=drill.key_a,
        effective_at=REVOKED_FROM,
        note="签名密钥疑似泄露（演练）",
        now=DRILL_AT,
        reissue=True,
    )
    [job] = await key_reissue.list_reissue_jobs(actor=drill.people.signer, kid=drill.key_a)
    return job


@pytest.fixture
async def page(db: str, deps: Deps) -> AsyncIterator[ApiClient]:
    """The app without its background worker: the test decides when the job runs."""
    quiet = replace(deps, settings=replace(deps.settings, inprocess_worker=False))
    async with in_process(quiet) as client:
        yield client


def _worker(deps: Deps) -> InProcessWorker:
    return InProcessWorker(collector(deps), clock=lambda: DRILL_AT)


async def test_revoke_with_reissue_drill(page: ApiClient, deps: Deps) -> None:
    api = page
    drill = await _drill_setup(deps)
    job = await _revoke_with_reissue(drill)
    assert (job.status, job.total, job.done_count) == (BatchStatus.QUEUED, 3, 0)

    # Before the worker runs, the old QR already says what happened (awaiting re-issue).
    waiting = (await api.http.get(local_path(drill.affected[0].verification_url))).text
    assert 'data-state="KEY_REVOKED"' in waiting and LABEL in waiting and "重新签发中" in waiting
    assert NAMES[2] not in waiting

    assert await _worker(deps).run_pending() == 1
    job = await key_reissue.get_reissue_job(actor=drill.people.signer, job_id=job.public_id)
    assert (job.status, job.done_count, job.attempts) == (BatchStatus.DONE, 3, 1)

    catalog = await current_catalog()
    for old, holder in zip(drill.affected, drill.holders[1:], strict=True):
        old = await Certificate.get(id=old.id)
        assert old.status is CertificateStatus.SUPERSEDED and old.superseded_by_id
        new = await Certificate.get(id=old.superseded_by_id)
        # Same content, a new version, id, payload and QR, signed by B.
        assert (new.kid, new.version, new.lineage_id) == (drill.key_b, 2, old.lineage_id)
        assert new.cert_id != old.cert_id and new.verification_url != old.verification_url
        for column in ("number", "holder_name", "title_name", "specialty", "issued_on"):
            assert getattr(new, column) == getattr(old, column)
        verdict = await verify_stored(
            cert_id=new.cert_id, signed_payload=new.signed_payload, catalog=catalog, now=DRILL_AT
        )
        assert verdict.state is VerificationState.VALID

        # The old QR: the specific state, page and JSON, linked to the new version.
        page = (await api.http.get(local_path(old.verification_url))).text
        assert 'data-state="KEY_REVOKED"' in page and LABEL in page and "有效" not in page
        assert f'href="{local_path(new.verification_url)}"' in page
        body = (await api.http.get(local_path(old.verification_url), headers=JSON)).json()
        assert body["state"] == "KEY_REVOKED" and body["stateLabel"] == LABEL
        assert body["signatureVerified"] is False and body["certificate"] is None
        assert body["keyRevoked"]["currentVersion"]["certId"] == new.cert_id
        current = (await api.http.get(local_path(new.verification_url), headers=JSON)).json()
        assert current["state"] == "VALID" and current["certificate"]["signature"]["kid"] == (
            drill.key_b
        )

        # 我的证书: the new version current, the old one superseded.
        mine = (await holder_certificates.my_certificates(actor=holder)).items
        assert [(c.cert_id, c.status) for c in mine] == [
            (old.cert_id, CertificateStatus.SUPERSEDED),
            (new.cert_id, CertificateStatus.VALID),
        ]
        # History: the old version's event is the re-issue, not a correction.
        events = await history.certificate_history(actor=holder, cert_id=new.cert_id)
        actions = [(e.action, e.entity_id) for e in events]
        assert (AuditAction.CERTIFICATE_REISSUED.value, old.cert_id) in actions
        assert (AuditAction.CERTIFICATE_ISSUED.value, new.cert_id) in actions
        assert AuditAction.CERTIFICATE_SUPERSEDED.value not in [a for a, _ in actions]
        assert AuditAction.label_of(AuditAction.CERTIFICATE_REISSUED.value) == (
            "因签名密钥停用重新签发"
        )

    # Signed by A before the revocation instant: untouched, still 有效.
    early = await Certificate.get(id=drill.early.id)
    assert (early.status, early.kid, early.superseded_by_id) == (
        CertificateStatus.VALID,
        drill.key_a,
        None,
    )
    body = (await api.http.get(local_path(early.verification_url), headers=JSON)).json()
    assert body["state"] == "VALID"

    # A forged payload under A (a stolen key) matching no stored payload: 无法验证.
    forged_url = await _forge(deps, drill.affected[0], drill.key_a)
    forged = await api.http.get(local_path(forged_url))
    assert 'data-state="UNVERIFIABLE"' in forged.text and LABEL not in forged.text
    assert (await api.http.get(local_path(forged_url), headers=JSON)).json()[
        "state"
    ] == "UNVERIFIABLE"

    # Audit: the revocation, the job queued and finished, each re-issue.
    actions = await AuditRecord.all().values_list("action", flat=True)
    for action in (
        AuditAction.SIGNING_KEY_REVOKED,
        AuditAction.KEY_REISSUE_QUEUED,
        AuditAction.KEY_REISSUE_FINISHED,
    ):
        assert action.value in actions
    assert actions.count(AuditAction.CERTIFICATE_REISSUED.value) == 3


async def _forge(deps: Deps, cert: Certificate, kid: str) -> str:
    claims = decode_claims(parse_cose_sign1(bytes(cert.signed_payload)).payload)
    [record] = [r for r in await signing_keys.key_records() if r.kid == kid]
    private = unlock(record, deps.settings.signing_passphrase.reveal())
    forged = sign_claims(
        replace(claims, title_name="正高级工程师", level="ZHENG_GAO"), private, kid
    )
    return build_verification_url("https://verify.ecert.test", cert.cert_id, forged)


async def test_reissue_is_idempotent_across_reruns_and_takeovers(db: str, deps: Deps) -> None:
    drill = await _drill_setup(deps)
    job = await _revoke_with_reissue(drill)
    assert await _worker(deps).run_pending() == 1
    count = await Certificate.all().count()
    # The same job run again (re-queued by hand) and a second job of the key: nothing left.
    await KeyReissueJob.filter(id=job.id).update(status=BatchStatus.QUEUED)
    second = await KeyReissueJob.create(
        public_id="f" * 24, kid=drill.key_a, since=REVOKED_FROM, total=3, created_at=DRILL_AT
    )
    assert await _worker(deps).run_pending() == 2
    assert await Certificate.all().count() == count
    for row in (job, second):
        await row.refresh_from_db()
        assert row.status is BatchStatus.DONE
    assert second.done_count == 0
    reissued = await AuditRecord.filter(action=AuditAction.CERTIFICATE_REISSUED.value).count()
    assert reissued == 3


async def test_a_job_held_by_a_live_lease_is_not_run_and_a_lost_lease_commits_nothing(
    db: str, deps: Deps
) -> None:
    drill = await _drill_setup(deps)
    job = await _revoke_with_reissue(drill)
    await KeyReissueJob.filter(id=job.id).update(
        status=BatchStatus.RUNNING, lease_owner="other", lease_until=DRILL_AT + timedelta(minutes=1)
    )
    assert await _worker(deps).run_pending() == 0  # another worker holds it
    assert await Certificate.filter(kid=drill.key_b).count() == 0
    # Its lease ran out: taken over and finished.
    later = InProcessWorker(collector(deps), clock=lambda: DRILL_AT + timedelta(minutes=2))
    assert await later.run_pending() == 1
    await job.refresh_from_db()
    assert (job.status, job.done_count, job.attempts) == (BatchStatus.DONE, 3, 1)


async def test_reissue_without_another_usable_key_is_refused_before_anything_changes(
    db: str, deps: Deps
) -> None:
    people = await make_people(deps)
    holder = actor_of((await make_applicant(deps, name=NAMES[0], id_number=_holder_id(9))).account)
    cert = await _issue(deps, people, holder, NOW)
    with pytest.raises(InvalidState) as refused:
        await signing_keys.revoke_key(
            actor=people.signer,
            kid=cert.kid,
            effective_at=REVOKED_FROM,
            note="泄露",
            now=DRILL_AT,
            reissue=True,
        )
    assert refused.value.code == "REISSUE_NO_SIGNING_KEY"
    key = await SigningKey.get(kid=cert.kid)
    assert key.revoked_at is None and await KeyReissueJob.all().count() == 0


async def test_a_key_revoked_without_reissue_is_reissued_later(db: str, deps: Deps) -> None:
    drill = await _drill_setup(deps)
    signer = drill.people.signer
    with pytest.raises(InvalidState) as not_revoked:
        await signing_keys.queue_reissue(actor=signer, kid=drill.key_a, now=DRILL_AT)
    assert not_revoked.value.code == "KEY_NOT_REVOKED"
    await signing_keys.revoke_key(
        actor=signer, kid=drill.key_a, effective_at=REVOKED_FROM, note="泄露", now=DRILL_AT
    )
    assert await KeyReissueJob.all().count() == 0
    job = await signing_keys.queue_reissue(actor=signer, kid=drill.key_a, now=DRILL_AT)
    assert (job.status, job.total) == (BatchStatus.QUEUED, 3)
    with pytest.raises(InvalidState) as pending:
        await signing_keys.queue_reissue(actor=signer, kid=drill.key_a, now=DRILL_AT)
    assert pending.value.code == "KEY_REISSUE_PENDING"
    assert await _worker(deps).run_pending() == 1
    assert await Certificate.filter(kid=drill.key_b).count() == 3
    again = await signing_keys.queue_reissue(actor=signer, kid=drill.key_a, now=DRILL_AT)
    assert again.total == 0 and await _worker(deps).run_pending() == 1
    await again.refresh_from_db()
    assert (again.status, again.done_count) == (BatchStatus.DONE, 0)
    assert await Certificate.filter(kid=drill.key_b).count() == 3


async def test_the_job_commits_chunk_by_chunk_with_progress(db: str, deps: Deps) -> None:
    drill = await _drill_setup(deps)
    job = await _revoke_with_reissue(drill)
    seen: list[tuple[str, int]] = []
    done = await key_reissue.run_reissue_job(
        job_id=job.public_id,
        owner="drill-worker",
        issuer=deps.issuer,
        clock=lambda: DRILL_AT,
        chunk=2,
        progress=lambda j: seen.append((j.status.value, j.done_count)),
    )
    assert done is not None and (done.status, done.done_count) == (BatchStatus.DONE, 3)
    assert seen == [("running", 2), ("running", 3), ("done", 3)]
    assert key_reissue.reissue_percent(done) == 100.0
    assert (done.lease_owner, done.finished_at) == (None, DRILL_AT)


async def test_two_workers_on_one_job_reissue_each_certificate_once(db: str, deps: Deps) -> None:
    """A zero lease: the second worker takes the job over between the first one's chunks;
    the first one's next chunk finds its lease gone and rolls back."""
    drill = await _drill_setup(deps)
    job = await _revoke_with_reissue(drill)

    def run(owner: str, at) -> Awaitable[KeyReissueJob | None]:
        return key_reissue.run_reissue_job(
            job_id=job.public_id,
            owner=owner,
            issuer=deps.issuer,
            clock=lambda: at,
            lease=timedelta(0),
            chunk=1,
        )

    results = await asyncio.gather(
        run("first", DRILL_AT), run("second", DRILL_AT + timedelta(seconds=1))
    )
    assert any(r is not None for r in results)
    await job.refresh_from_db()
    assert (job.status, job.done_count) == (BatchStatus.DONE, 3)
    assert await Certificate.filter(kid=drill.key_b).count() == 3
    reissued = await AuditRecord.filter(action=AuditAction.CERTIFICATE_REISSUED.value).count()
    assert reissued == 3


async def test_a_pending_correction_follows_the_certificate_to_its_reissue(
    db: str, deps: Deps
) -> None:
    drill = await _drill_setup(deps)
    old = drill.affected[0]
    holder = drill.holders[1]
    catalog = await current_catalog()
    request = await corrections.request_correction(
        actor=holder,
        cert_id=old.cert_id,
        reason="评审表上的评审专业为暖通空调，登记时填错",
        changes={"specialty": "暖通空调"},
        catalog=catalog,
        pii=deps.pii,
        now=NOW + timedelta(hours=2),
    )
    await _revoke_with_reissue(drill)
    assert await _worker(deps).run_pending() == 1
    reissued = await Certificate.get(id=(await Certificate.get(id=old.id)).superseded_by_id)
    decided = await corrections.decide_correction(
        actor=drill.people.reviewer,
        correction_id=request.public_id,
        approve=True,
        note="核对评审表无误",
        issuer=deps.issuer,
        catalog=catalog,
        now=DRILL_AT + timedelta(hours=1),
    )
    corrected = await Certificate.get(id=decided.new_certificate_id)
    assert (corrected.version, corrected.kid, corrected.specialty) == (3, drill.key_b, "暖通空调")
    await reissued.refresh_from_db()
    assert reissued.status is CertificateStatus.SUPERSEDED
    assert reissued.superseded_by_id == corrected.id
