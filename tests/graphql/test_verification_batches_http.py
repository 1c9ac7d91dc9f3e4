"""Employer batch checks over HTTP: an administrator creates the employer account
(createEmployerAccount), the operator enrols TOTP and logs in, createVerificationBatch is
answered by the app's in-process worker, verificationBatch is polled to DONE and the signed
report (JWS and CSV) downloads for that account only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crypto import parse_jwks
from crypto.batch_report import verify_batch_report
from graphql_api.worker import (
    BATCH_QUEUE,
    CHECK_TASK,
    BatchRunner,
    QueueDispatcher,
    apply_queue_schema,
    queue_app,
)
from schema.models import Account, BatchStatus, VerificationBatch
from schema.services.signing_keys import published_jwks
from schema.services.verification_batches import create_verification_batch
from tests.support.client import LOGIN, ApiClient, Session
from tests.support.collection import collector, importer
from tests.support.document_batches import HOLDERS, issue_certificates
from tests.support.employers import (
    CREDIT_CODE,
    EMPLOYER_ID,
    OTHER_CREDIT_CODE,
    OTHER_EMPLOYER_ID,
    employer_actor,
    make_employer,
)
from tests.support.factories import ID_MALE_1985, PASSWORD
from tests.support.flows import ADMIN_ID, issue_yubei_certificate, make_people
from tests.support.totp import enrol_totp

CREATE_EMPLOYER = """mutation($input: CreateEmployerAccountInput!) {
  createEmployerAccount(input: $input) {
    __typename
    ... on CreateEmployerAccountSuccess { account { id role roleLabel } organisationName creditCode }
    ... on UserErrors { errors { code message field } }
} }"""
CREATE = """mutation($input: CreateVerificationBatchInput!) { createVerificationBatch(input: $input) {
  __typename
  ... on CreateVerificationBatchSuccess { batch { id status total organisationName } }
  ... on UserErrors { errors { code message field } }
} }"""
BATCH = """query($id: ID!) { verificationBatch(id: $id) {
  id status statusLabel total doneCount percent asOf reportPath csvPath reportKid reportSha256
  summary { state stateLabel count }
} }"""
BATCHES = "{ verificationBatches(first: 10) { edges { node { id status } } } }"


async def _finished(session: Session, batch_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            batch = (await session.data(BATCH, {"id": batch_id}))["verificationBatch"]
            if batch["status"] in ("DONE", "FAILED"):
                return batch
            await asyncio.sleep(0.1)


async def test_an_employer_checks_a_batch_and_downloads_the_signed_report(
    api: ApiClient, tmp_path
) -> None:
    deps = api.deps
    # Issued by a reviewer, not by an import job: the app's own worker must not race for one.
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    admin = await api.login(ADMIN_ID)
    wrong = await admin.refused(
        CREATE_EMPLOYER,
        {
            "organisationName": "重庆渝北工程建设有限公司",
            "creditCode": CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1"),
            "name": "周经办",
            "idNumber": EMPLOYER_ID,
            "mobile": "13900003333",
            "password": PASSWORD,
        },
    )
    assert [(e["code"], e["field"]) for e in wrong] == [
        ("CREDIT_CODE_CHECKSUM", ["input", "creditCode"])
    ]
    created = await admin.ok(
        CREATE_EMPLOYER,
        {
            "organisationName": "重庆渝北工程建设有限公司",
            "creditCode": CREDIT_CODE,
            "name": "周经办",
            "idNumber": EMPLOYER_ID,
            "mobile": "13900003333",
            "password": PASSWORD,
        },
    )
    assert created["account"]["roleLabel"] == "用人单位"
    assert created["creditCode"] == CREDIT_CODE

    # Like staff, the first login opens no session: TOTP must be enrolled first.
    first = await api.execute(LOGIN, {"input": {"idNumber": EMPLOYER_ID, "password": PASSWORD}})
    assert first["data"]["login"]["__typename"] == "TotpEnrolmentRequired"
    await enrol_totp(deps, await Account.get(public_id=created["account"]["id"]), now=deps.clock())
    employer = await api.login(EMPLOYER_ID)

    refused = await employer.refused(CREATE, {"text": "只有编号"})
    assert [(e["code"], e["field"]) for e in refused] == [
        ("VERIFICATION_LINE_FORMAT", ["input", "text"])
    ]
    text = "\n".join(
        [f"{cert.number},{cert.holder_name}", f"{cert.number},李四", cert.verification_url]
    )
    started = await employer.ok(CREATE, {"text": text, "asOf": deps.clock().date().isoformat()})
    batch_id = started["batch"]["id"]
    assert started["batch"]["organisationName"] == "重庆渝北工程建设有限公司"
    batch = await _finished(employer, batch_id)
    assert batch["status"] == "DONE" and batch["percent"] == 100.0
    assert {s["state"]: s["count"] for s in batch["summary"]} == {"NAME_MISMATCH": 1, "VALID": 2}
    assert [n["id"] for n in await employer.nodes(BATCHES)] == [batch_id]

    jws = await employer.get(batch["reportPath"])
    assert jws.status_code == 200 and jws.headers["content-type"] == "application/jwt"
    assert jws.headers["cache-control"] == "no-store"
    report = verify_batch_report(jws.text, parse_jwks(await published_jwks()))
    assert (report.batch_id, report.kid) == (batch_id, batch["reportKid"])
    assert [line["state"] for line in report.lines] == ["VALID", "NAME_MISMATCH", "VALID"]
    assert [line.get("asOfState") for line in report.lines] == ["VALID", None, "VALID"]
    csv_file = await employer.get(batch["csvPath"])
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["content-disposition"]
    assert "证书编号与持证人姓名不一致" in csv_file.content.decode("utf-8-sig")

    # The report is the account's own: another employer, the applicant, nobody.
    await make_employer(
        deps, code=OTHER_CREDIT_CODE, id_number=OTHER_EMPLOYER_ID, mobile="13900004444", enrol=True
    )
    other = await api.login(OTHER_EMPLOYER_ID)
    applicant = await api.login(ID_MALE_1985)
    assert (await other.get(batch["reportPath"])).status_code == 404
    assert (await applicant.get(batch["reportPath"])).status_code == 403
    assert (await api.http.get(batch["csvPath"])).status_code == 401
    assert await other.nodes(BATCHES) == []
    hidden = await other.execute(BATCH, {"id": batch_id})
    assert hidden["errors"][0]["extensions"]["code"] == "VERIFICATION_BATCH_NOT_FOUND"


@pytest.mark.pg_only
async def test_a_batch_check_deferred_to_the_queue_is_run_by_a_queue_worker(
    db, deps, tmp_path
) -> None:
    await make_people(deps)
    certs = await issue_certificates(deps, tmp_path, await importer(deps), HOLDERS[:1], tag="q")
    employer = await employer_actor(deps)
    batch = await create_verification_batch(
        actor=employer, text=f"{certs[0].number},{HOLDERS[0][0]}", as_of=None, now=deps.clock()
    )
    await apply_queue_schema(deps.settings)
    dispatcher = QueueDispatcher(deps.settings)
    try:
        await dispatcher.enqueue_check(batch.public_id)
        await dispatcher.enqueue_check(batch.public_id)  # deferred once (queueing lock)
    finally:
        await dispatcher.close()
    runner = BatchRunner(renderer=deps.documents, store=deps.store, issuer=deps.issuer)
    app = queue_app(deps.settings, collector(deps), batches=runner)
    async with app.open_async():
        jobs = await app.job_manager.list_jobs_async(queue=BATCH_QUEUE)
        assert [(j.task_name, j.status) for j in jobs] == [(CHECK_TASK, "todo")]
        await app.run_worker_async(queues=[BATCH_QUEUE], wait=False, install_signal_handlers=False)
        jobs = await app.job_manager.list_jobs_async(queue=BATCH_QUEUE)
        assert [j.status for j in jobs] == ["succeeded"]
    row = await VerificationBatch.get(id=batch.id)
    assert (row.status, row.summary, row.attempts) == (BatchStatus.DONE, {"VALID": 1}, 1)
    assert row.report_sha256 and await deps.store.exists(row.report_sha256)
