"""Document batches over HTTP: startDocumentBatch, documentBatch polled to DONE (the app's
in-process worker runs it), the ZIP at /document-batches/{id}.zip for the authority only;
and on PostgreSQL a batch deferred through procrastinate and run by a queue worker."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import pytest

from graphql_api.worker import (
    BATCH_QUEUE,
    BatchRunner,
    QueueDispatcher,
    apply_queue_schema,
    queue_app,
)
from schema.models import BatchStatus, DocumentBatch
from schema.services.document_batches import create_document_batch
from tests.support.client import ApiClient, Session
from tests.support.collection import collector, importer
from tests.support.document_batches import (
    HOLDERS,
    OTHER_REVIEWER_ID,
    WANZHOU,
    holder_id,
    init_ca,
    issue_certificates,
    other_reviewer,
)
from tests.support.factories import ID_MALE_1985, NOW
from tests.support.flows import REVIEWER_ID, make_people

START = """mutation($input: StartDocumentBatchInput!) { startDocumentBatch(input: $input) {
  __typename
  ... on StartDocumentBatchSuccess { batch { id status statusLabel total doneCount } }
  ... on UserErrors { errors { code message field } }
} }"""
BATCH = """query($id: ID!) { documentBatch(id: $id) {
  id status statusLabel total doneCount percent downloadPath error authorityCode
} }"""
BATCHES = "{ documentBatches(first: 10) { edges { node { id status } } } }"


async def _finished(session: Session, batch_id: str) -> dict[str, Any]:
    async with asyncio.timeout(60):
        while True:
            batch = (await session.data(BATCH, {"id": batch_id}))["documentBatch"]
            if batch["status"] in ("DONE", "FAILED"):
                return batch
            assert batch["statusLabel"] in ("排队中", "生成中"), batch
            await asyncio.sleep(0.1)


async def test_a_reviewer_starts_a_batch_and_downloads_its_zip(api: ApiClient, tmp_path) -> None:
    deps = api.deps
    await make_people(deps)
    await init_ca(deps)
    clerk = await importer(deps)
    certs = await issue_certificates(deps, tmp_path, clerk, HOLDERS[:3], tag="yubei")
    [theirs] = await issue_certificates(
        deps, tmp_path, clerk, [("周五", holder_id("50010119880505005"))], tag="wz", **WANZHOU
    )
    await other_reviewer(deps)
    reviewer = await api.login(REVIEWER_ID)
    other = await api.login(OTHER_REVIEWER_ID)
    applicant = await api.login(ID_MALE_1985)

    refused = await reviewer.refused(START, {"numbers": [theirs.number]})
    assert [(e["code"], e["field"]) for e in refused] == [
        ("CERTIFICATE_NOT_FOUND", ["input", "numbers"])
    ]
    assert await applicant.codes(START, {"certIds": [certs[0].cert_id]}) == ["FORBIDDEN"]

    started = await reviewer.ok(
        START, {"certIds": [c.cert_id for c in certs[:2]], "numbers": [certs[2].number]}
    )
    assert started["batch"]["total"] == 3
    batch_id = started["batch"]["id"]
    done = await _finished(reviewer, batch_id)
    assert done == {
        "id": batch_id,
        "status": "DONE",
        "statusLabel": "已完成",
        "total": 3,
        "doneCount": 3,
        "percent": 100.0,
        "downloadPath": f"/document-batches/{batch_id}.zip",
        "error": None,
        "authorityCode": "500112",
    }
    listed = await reviewer.nodes(BATCHES)
    assert [n["id"] for n in listed] == [batch_id]
    assert await other.nodes(BATCHES) == []
    hidden = await other.execute(BATCH, {"id": batch_id})
    assert hidden["errors"][0]["extensions"]["code"] == "DOCUMENT_BATCH_NOT_FOUND"

    got = await reviewer.get(done["downloadPath"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        names = archive.namelist()
        assert names == [f"{c.number}-v1.pdf" for c in certs] + ["manifest.csv"]
        assert all(archive.read(n).startswith(b"%PDF-") for n in names[:-1])

    assert (await other.get(done["downloadPath"])).status_code == 404
    assert (await applicant.get(done["downloadPath"])).status_code == 403
    assert (await api.http.get(done["downloadPath"])).status_code == 401
    assert (await reviewer.get("/document-batches/nosuchbatch.zip")).status_code == 404


async def test_a_batch_not_finished_yet_is_not_downloaded(api: ApiClient, tmp_path) -> None:
    deps = api.deps
    people = await make_people(deps)
    await init_ca(deps)
    certs = await issue_certificates(deps, tmp_path, await importer(deps), HOLDERS[:1], tag="y")
    batch = await create_document_batch(actor=people.reviewer, cert_ids=[certs[0].cert_id], now=NOW)
    # Not handed to the app's worker: still queued.
    reviewer = await api.login(REVIEWER_ID)
    got = await reviewer.get(f"/document-batches/{batch.public_id}.zip")
    assert got.status_code == 409
    assert got.json()["error"]["code"] == "DOCUMENT_BATCH_NOT_READY"


@pytest.mark.pg_only
async def test_a_batch_deferred_to_the_queue_is_run_by_a_queue_worker(db, deps, tmp_path) -> None:
    people = await make_people(deps)
    await init_ca(deps)
    certs = await issue_certificates(deps, tmp_path, await importer(deps), HOLDERS[:2], tag="y")
    batch = await create_document_batch(
        actor=people.reviewer, cert_ids=[c.cert_id for c in certs], now=NOW
    )
    await apply_queue_schema(deps.settings)
    dispatcher = QueueDispatcher(deps.settings)
    try:
        await dispatcher.enqueue_batch(batch.public_id)
        await dispatcher.enqueue_batch(batch.public_id)  # deferred once (queueing lock)
    finally:
        await dispatcher.close()
    app = queue_app(
        deps.settings,
        collector(deps),
        batches=BatchRunner(renderer=deps.documents, store=deps.store),
    )
    async with app.open_async():
        jobs = await app.job_manager.list_jobs_async(queue=BATCH_QUEUE)
        assert [(j.task_name, j.status) for j in jobs] == [("ecert.documents.batch", "todo")]
        await app.run_worker_async(queues=[BATCH_QUEUE], wait=False, install_signal_handlers=False)
        jobs = await app.job_manager.list_jobs_async(queue=BATCH_QUEUE)
        assert [j.status for j in jobs] == ["succeeded"]
    row = await DocumentBatch.get(id=batch.id)
    assert (row.status, row.done_count, row.attempts) == (BatchStatus.DONE, 2, 1)
    assert row.result_sha256 and deps.store.local_path(row.result_sha256).is_file()
