"""The audit log's hash chain on both databases: what the writers append, and what
`verify_chain` says after each kind of tampering done in raw SQL."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from schema.audit_chain import GENESIS
from schema.enums import AuditAction
from schema.models import AuditChainHead, AuditRecord
from schema.services.audit import AuditEntry, ChainHead, write_audit, write_audits
from schema.services.audit_verify import verify_chain
from schema.services.reference import current_catalog
from schema.services.review import approve_registration
from tests.support.audit_chain import (
    CONTENT_COLUMNS,
    rehash_from,
    seq_of,
    sql,
    swap_columns,
    swap_seqs,
    write_records,
)
from tests.support.collection import HISTORICAL_ROW, importer, load, write_csv
from tests.support.factories import NOW
from tests.support.flows import YUBEI_TITLE, fill_and_submit, make_people


async def _assert_unbroken() -> list[AuditRecord]:
    records = await AuditRecord.all().order_by("seq")
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert [r.prev_hash for r in records] == [GENESIS] + [r.hash for r in records[:-1]]
    head = await AuditChainHead.get(id=1)
    assert (head.seq, head.hash) == (records[-1].seq, records[-1].hash)
    report = await verify_chain()
    assert report.problem is None, report.problem.line()
    assert report.records == len(records)
    return records


async def test_use_cases_append_one_unbroken_chain(db, deps):
    people = await make_people(deps)
    await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    records = await _assert_unbroken()
    assert {"registration.submitted", "account.registered"} <= {r.action for r in records}


async def test_an_approval_appends_its_two_records_in_one_write_in_order(db, deps):
    people = await make_people(deps)
    registration = await fill_and_submit(deps, people.applicant, title=YUBEI_TITLE)
    cert = await approve_registration(
        actor=people.reviewer,
        registration_id=registration.public_id,
        issuer=deps.issuer,
        catalog=await current_catalog(),
        now=NOW,
    )
    records = await _assert_unbroken()
    approved, issued = records[-2:]
    assert (approved.action, approved.entity_id) == (
        "registration.approved",
        registration.public_id,
    )
    assert (issued.action, issued.entity_id) == ("certificate.issued", cert.cert_id)
    assert issued.id > approved.id and issued.after == {
        "number": cert.number,
        "version": 1,
        "kid": cert.kid,
        "registration": registration.public_id,
    }


async def test_several_entries_written_at_once_chain_like_single_writes(db):
    (first,) = await write_records(1)
    entries = [
        AuditEntry(
            actor=None,
            action=AuditAction.REGISTRATION_IMPORTED,
            entity_type="registration",
            entity_id=f"batch{i}",
            now=NOW,
            after={"row": i, "holder": "李四", "score": 1.0},
        )
        for i in range(3)
    ]
    await write_audits(entries)
    await write_audits([])  # nothing to write: no statement, no record
    records = await _assert_unbroken()
    start = await seq_of(first)
    assert [(r.seq, r.entity_id) for r in records[-4:]] == [(start, first.entity_id)] + [
        (start + 1 + i, f"batch{i}") for i in range(3)
    ]


async def test_a_rolled_back_transaction_leaves_no_gap(db):
    (first,) = await write_records(1)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await write_audit(
                actor=None,
                action=AuditAction.IMPORT_FAILED,
                entity_type="import_job",
                entity_id="j1",
                now=NOW,
                using_db=conn,
            )
            raise RuntimeError("the use case fails after its audit row")
    (second,) = await write_records(1)
    assert await seq_of(second) == await seq_of(first) + 1
    await _assert_unbroken()


async def test_bulk_import_audit_rows_chain_in_order(db, deps, tmp_path):
    rows = [{**HISTORICAL_ROW, "证书编号": f"01132018000{i}"} for i in range(1, 6)]
    job = await load(deps, await importer(deps), write_csv(tmp_path / "a.csv", rows), chunk_rows=2)
    records = await _assert_unbroken()
    mine = [r for r in records if r.note == f"import:{job.public_id}"]
    assert len(mine) == len(rows)  # one per record, written by chunks of two
    assert [r.seq for r in mine] == sorted(r.seq for r in mine)


async def test_an_edited_field_is_named(db):
    records = await write_records(5)
    target = records[2]
    await sql("UPDATE audit_record SET note = $1 WHERE id = $2", "第99条", target.id)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("edited", await seq_of(target), target.id)


async def test_an_edited_json_detail_is_named(db):
    records = await write_records(3)
    target = records[1]
    await sql("UPDATE audit_record SET after = NULL WHERE id = $1", target.id)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.id) == ("edited", target.id)


async def test_a_record_deleted_in_the_middle_is_named(db):
    records = await write_records(5)
    gone, after = await seq_of(records[2]), records[3]
    await sql("DELETE FROM audit_record WHERE id = $1", records[2].id)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("deleted", gone + 1, after.id)
    assert f"seq {gone} missing" in problem.detail


async def test_two_records_moved_into_each_others_place_are_named_reordered(db):
    records = await write_records(5)
    a, b = await seq_of(records[1]), await seq_of(records[3])
    await swap_seqs(a, b)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("reordered", a, records[3].id)
    assert f"written as seq {b}" in problem.detail


async def test_two_records_with_swapped_contents_are_named_reordered(db):
    records = await write_records(5)
    a, b = await seq_of(records[1]), await seq_of(records[2])
    await swap_columns(a, b, CONTENT_COLUMNS)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("reordered", a, records[1].id)
    assert f"now in record seq={b} id={records[2].id}" in problem.detail


async def test_a_record_inserted_outside_the_chain_is_named(db):
    await write_records(2)
    await sql(
        "INSERT INTO audit_record (id, at, action, entity_type, entity_id) "
        "VALUES (999999, $1, 'registration.approved', 'registration', 'forged')",
        NOW,
    )
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("inserted", None, 999999)


async def test_a_deleted_tail_is_named_against_the_head(db):
    records = await write_records(4)
    last_kept = await seq_of(records[1])
    await sql("DELETE FROM audit_record WHERE seq > $1", last_kept)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert problem.kind == "deleted"
    assert f"ends at seq {last_kept} but its head says seq {last_kept + 2}" in problem.detail


async def test_a_deleted_tail_with_the_head_moved_back_is_caught_only_by_a_checkpoint(db):
    records = await write_records(4)
    checkpoint = (await verify_chain()).last
    kept = records[1]
    await sql("DELETE FROM audit_record WHERE seq > $1", await seq_of(kept))
    await sql("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1", kept.seq, kept.hash)
    assert (await verify_chain()).problem is None  # consistent without an outside anchor
    problem = (await verify_chain(checkpoints=[checkpoint])).problem
    assert problem is not None
    assert problem.kind == "deleted"
    assert f"ends at seq {kept.seq} but a checkpoint names seq {checkpoint.seq}" in problem.detail


async def test_a_consistently_rewritten_chain_is_caught_only_by_a_checkpoint(db):
    records = await write_records(4)
    checkpoint = (await verify_chain()).last
    target = records[1]
    await sql("UPDATE audit_record SET note = $1 WHERE id = $2", "改过", target.id)
    await rehash_from(await seq_of(target))
    assert (await verify_chain()).problem is None
    report = await verify_chain(checkpoints=[checkpoint])
    assert report.problem is not None
    assert (report.problem.kind, report.problem.seq) == ("edited", checkpoint.seq)


async def test_an_old_checkpoint_is_confirmed_while_the_chain_grows(db):
    await write_records(2)
    checkpoint = (await verify_chain()).last
    await write_records(3)
    report = await verify_chain(checkpoints=[checkpoint], batch=2)
    assert (report.problem, report.checkpoints) == (None, 1)
    assert report.last.seq == checkpoint.seq + 3
    assert report.last == ChainHead(report.last.seq, (await AuditChainHead.get(id=1)).hash)


async def test_a_deleted_head_row_is_reported_and_the_next_write_restores_it(db):
    records = await write_records(2)
    await sql("DELETE FROM audit_chain_head")
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.detail) == (
        "deleted",
        "the chain head row (audit_chain_head) is gone",
    )
    (later,) = await write_records(1)
    assert await seq_of(later) == await seq_of(records[-1]) + 1
    await _assert_unbroken()


async def test_two_records_that_traded_ids_are_named_reordered(db):
    records = await write_records(4)
    a, b = records[1], records[2]
    first = await seq_of(a)
    await sql("UPDATE audit_record SET id = -1 WHERE id = $1", a.id)
    await sql("UPDATE audit_record SET id = $1 WHERE id = $2", a.id, b.id)
    await sql("UPDATE audit_record SET id = $1 WHERE id = -1", b.id)
    problem = (await verify_chain()).problem
    assert problem is not None
    assert (problem.kind, problem.seq, problem.id) == ("reordered", first, b.id)
    assert problem.detail.endswith("the two were swapped")
