"""Document batches through the real use cases: a reviewer's certificates rendered, sealed
and zipped by the worker, with a manifest; who may batch what; progress; a batch that
cannot be sealed fails after its attempts, audited."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest

from crypto.pdf_signature import check_pdf_signature
from graphql_api.worker import BatchRunner, InProcessWorker
from schema.actor import Actor
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound
from schema.models import (
    AuditRecord,
    BatchStatus,
    Certificate,
    CredentialRole,
    DocumentBatch,
    DocumentCredential,
    DocumentKind,
)
from schema.services import document_batches, document_seal
from schema.services.certificate_documents import DocumentRenderer
from schema.services.document_batches import (
    MANIFEST_HEADERS,
    batch_result,
    create_document_batch,
    get_document_batch,
    run_document_batch,
)
from schema.services.document_seal import DocumentSealer
from tests.support.collection import collector, importer
from tests.support.document_batches import (
    HOLDERS,
    WANZHOU,
    holder_id,
    init_ca,
    issue_certificates,
    other_reviewer,
)
from tests.support.factories import NOW
from tests.support.flows import People, make_people


@pytest.fixture
async def clerk(db, deps) -> Actor:
    return await importer(deps)


@pytest.fixture
async def setup(db, deps, tmp_path, clerk) -> tuple[People, list[Certificate]]:
    people = await make_people(deps)
    await init_ca(deps)
    certs = await issue_certificates(deps, tmp_path, clerk, HOLDERS, tag="yubei")
    return people, certs


def _runner(deps) -> BatchRunner:
    return BatchRunner(renderer=deps.documents, store=deps.store)


async def test_a_reviewer_batches_certificates_into_one_zip_of_sealed_pdfs(deps, setup) -> None:
    people, certs = setup
    chosen = certs[:3]
    batch = await create_document_batch(
        actor=people.reviewer,
        cert_ids=[chosen[0].cert_id, chosen[1].cert_id, chosen[0].cert_id],
        numbers=[chosen[2].number, chosen[1].number],
        now=NOW,
    )
    assert (batch.status, batch.total, batch.authority_code) == (BatchStatus.QUEUED, 3, "500112")
    assert batch.cert_ids == [c.cert_id for c in chosen], "duplicates count once, in order"
    worker = InProcessWorker(collector(deps), clock=lambda: NOW, batches=_runner(deps))
    assert await worker.run_pending() == 1
    done = await get_document_batch(actor=people.reviewer, batch_id=batch.public_id)
    assert (done.status, done.done_count, done.attempts) == (BatchStatus.DONE, 3, 1)
    result = await batch_result(actor=people.reviewer, batch_id=batch.public_id, store=deps.store)
    data = result.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == done.result_sha256 == result.sha256
    assert len(data) == done.result_size
    root = await document_seal.root_certificate_pem()
    assert root is not None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == [f"{c.number}-v1.pdf" for c in chosen] + ["manifest.csv"]
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
        pdfs = {name: archive.read(name) for name in names[:-1]}
    for pdf in pdfs.values():
        assert pdf.startswith(b"%PDF-")
        # pyHanko's validation is synchronous: off the event loop, as the service does.
        report = await asyncio.to_thread(check_pdf_signature, pdf, trusted_roots=[root])
        assert report.ok and report.authority_code == "500112", report
    lines = list(csv.reader(io.StringIO(manifest)))
    assert tuple(lines[0]) == MANIFEST_HEADERS
    expected = [
        [
            c.cert_id,
            c.number,
            c.holder_name,
            "1",
            "VALID",
            f"{c.number}-v1.pdf",
            hashlib.sha256(pdfs[f"{c.number}-v1.pdf"]).hexdigest(),
        ]
        for c in chosen
    ]
    assert lines[1:] == expected
    actions = await AuditRecord.filter(entity_id=batch.public_id).values_list("action", flat=True)
    assert sorted(actions) == ["document_batch.created", "document_batch.finished"]
    assert await worker.run_pending() == 0, "a finished batch is not run again"


async def test_the_same_pdf_is_served_as_the_single_download(deps, setup) -> None:
    people, certs = setup
    single = await deps.documents.file_for(certs[0], DocumentKind.PDF)
    batch = await create_document_batch(actor=people.reviewer, cert_ids=[certs[0].cert_id], now=NOW)
    await run_document_batch(
        batch_id=batch.public_id,
        owner="w",
        renderer=deps.documents,
        store=deps.store,
        clock=lambda: NOW,
    )
    result = await batch_result(actor=people.reviewer, batch_id=batch.public_id, store=deps.store)
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read(f"{certs[0].number}-v1.pdf") == single.body


async def test_progress_is_committed_as_the_batch_runs(deps, setup, monkeypatch) -> None:
    people, certs = setup
    monkeypatch.setattr(document_batches, "PROGRESS_EVERY", 1)
    seen: list[int] = []
    real_file_for = deps.documents.file_for

    async def watching(cert, kind):  # type: ignore[no-untyped-def]
        row = await DocumentBatch.get(public_id=batch.public_id)
        seen.append(row.done_count)
        return await real_file_for(cert, kind)

    monkeypatch.setattr(deps.documents, "file_for", watching)
    batch = await create_document_batch(
        actor=people.reviewer, cert_ids=[c.cert_id for c in certs], now=NOW
    )
    done = await run_document_batch(
        batch_id=batch.public_id, owner="w", renderer=deps.documents, store=deps.store,
        clock=lambda: NOW,
    )  # fmt: skip
    assert seen == [0, 1, 2, 3], "each certificate's progress is visible to other readers"
    assert done is not None and (done.done_count, done.total) == (4, 4)
    assert document_batches.batch_percent(done) == 100.0


async def test_another_authoritys_certificate_is_refused_as_missing(
    deps, setup, tmp_path, clerk
) -> None:
    people, certs = setup
    wanzhou = [("周五", holder_id("50010119880505005"))]
    [theirs] = await issue_certificates(deps, tmp_path, clerk, wanzhou, tag="wz", **WANZHOU)
    assert theirs.authority_code == "500101"
    with pytest.raises(InvalidInput) as caught:
        await create_document_batch(
            actor=people.reviewer, cert_ids=[certs[0].cert_id, theirs.cert_id], now=NOW
        )
    assert [(p.code, p.field) for p in caught.value.problems] == [
        ("CERTIFICATE_NOT_FOUND", "certIds")
    ]
    assert caught.value.message == f"证书不存在：{theirs.cert_id}"
    with pytest.raises(InvalidInput) as caught:
        await create_document_batch(actor=people.reviewer, numbers=[theirs.number, "X1"], now=NOW)
    assert caught.value.message == f"证书不存在（证书编号）：{theirs.number}、X1"
    # An administrator may batch any authority, but one authority per batch.
    with pytest.raises(InvalidInput) as caught:
        await create_document_batch(
            actor=people.admin, cert_ids=[certs[0].cert_id, theirs.cert_id], now=NOW
        )
    assert caught.value.code == "DOCUMENT_BATCH_MIXED_AUTHORITIES"
    batch = await create_document_batch(actor=people.admin, cert_ids=[theirs.cert_id], now=NOW)
    assert batch.authority_code == "500101"
    # The batch itself is the other authority's: our reviewer cannot see it.
    with pytest.raises(NotFound):
        await get_document_batch(actor=people.reviewer, batch_id=batch.public_id)
    other = await other_reviewer(deps)
    assert (await get_document_batch(actor=other, batch_id=batch.public_id)).id == batch.id
    assert await DocumentBatch.all().count() == 1


async def test_limits_and_roles(deps, setup) -> None:
    people, certs = setup
    with pytest.raises(InvalidInput) as caught:
        await create_document_batch(
            actor=people.reviewer, cert_ids=[f"{i:026d}" for i in range(1001)], now=NOW
        )
    assert caught.value.code == "DOCUMENT_BATCH_TOO_LARGE"
    with pytest.raises(InvalidInput) as caught:
        await create_document_batch(actor=people.reviewer, cert_ids=[" "], numbers=[], now=NOW)
    assert caught.value.code == "DOCUMENT_BATCH_EMPTY"
    for actor in (people.applicant, people.signer):
        with pytest.raises(Forbidden):
            await create_document_batch(actor=actor, cert_ids=[certs[0].cert_id], now=NOW)
    with pytest.raises(Forbidden):
        await get_document_batch(actor=people.applicant, batch_id="0" * 24)
    assert await DocumentBatch.all().count() == 0
    batch = await create_document_batch(actor=people.reviewer, cert_ids=[certs[0].cert_id], now=NOW)
    with pytest.raises(InvalidState) as not_ready:
        await batch_result(actor=people.reviewer, batch_id=batch.public_id, store=deps.store)
    assert not_ready.value.code == "DOCUMENT_BATCH_NOT_READY"


async def test_a_batch_that_cannot_be_sealed_fails_after_its_attempts(deps, setup) -> None:
    people, certs = setup
    batch = await create_document_batch(
        actor=people.reviewer, cert_ids=[c.cert_id for c in certs[:2]], now=NOW
    )
    # The authority's sealing certificate goes away after the batch was queued.
    await DocumentCredential.filter(role=CredentialRole.AUTHORITY, authority_code="500112").delete()
    # A fresh process: the sealer has unlocked nothing yet.
    renderer = DocumentRenderer(
        store=deps.store,
        sealer=DocumentSealer(deps.settings.signing_passphrase.reveal()),
        clock=lambda: NOW,
    )
    worker = InProcessWorker(
        collector(deps), clock=lambda: NOW, batches=BatchRunner(renderer=renderer, store=deps.store)
    )
    for attempt in (1, 2):
        assert await worker.run_pending() == 1
        row = await DocumentBatch.get(id=batch.id)
        assert (row.status, row.attempts) == (BatchStatus.QUEUED, attempt), "tried again"
        assert row.error and row.error.startswith("DOCUMENT_SEAL_NOT_CONFIGURED")
    assert await worker.run_pending() == 1
    row = await DocumentBatch.get(id=batch.id)
    assert (row.status, row.attempts, row.result_sha256) == (BatchStatus.FAILED, 3, None)
    assert row.finished_at == NOW and row.lease_owner is None
    assert await worker.run_pending() == 0
    failed = await AuditRecord.get(entity_id=batch.public_id, action="document_batch.failed")
    assert failed.after is not None and failed.after["attempts"] == 3


async def test_a_batch_is_refused_while_its_authority_cannot_seal(deps, setup) -> None:
    people, certs = setup
    await DocumentCredential.filter(role=CredentialRole.AUTHORITY, authority_code="500112").delete()
    with pytest.raises(document_seal.SealNotConfigured) as refused:
        await create_document_batch(actor=people.reviewer, cert_ids=[certs[0].cert_id], now=NOW)
    assert refused.value.code == "DOCUMENT_SEAL_NOT_CONFIGURED"
    assert await DocumentBatch.all().count() == 0, "nothing queued"
    assert not await AuditRecord.filter(action="document_batch.created").exists()


async def test_a_batch_held_by_a_live_lease_is_left_alone_and_taken_over_after(deps, setup) -> None:
    people, certs = setup
    batch = await create_document_batch(actor=people.reviewer, cert_ids=[certs[0].cert_id], now=NOW)
    # A worker claimed it and died (its lease runs for a minute).
    await DocumentBatch.filter(id=batch.id).update(
        status=BatchStatus.RUNNING, lease_owner="dead", lease_until=NOW + timedelta(minutes=1),
        attempts=1,
    )  # fmt: skip
    args = {"renderer": deps.documents, "store": deps.store, "owner": "alive"}
    assert await run_document_batch(batch_id=batch.public_id, clock=lambda: NOW, **args) is None
    assert await document_batches.claimable_batches(now=NOW) == []
    later = NOW + timedelta(minutes=2)
    assert await document_batches.claimable_batches(now=later) == [batch.public_id]
    done = await run_document_batch(batch_id=batch.public_id, clock=lambda: later, **args)
    assert done is not None and (done.status, done.attempts) == (BatchStatus.DONE, 2)
