"""Employer batch checks through the real use cases: every kind of line answered by the
worker into one signed report, the state on a day replayed from the audit trail, the entry
limits, who may check and see what, and the per-account daily limits."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from crypto import parse_jwks
from crypto.batch_report import verify_batch_report
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound, RateLimited
from schema.models import AuditRecord, BatchStatus, Certificate, Employer, VerificationBatch
from schema.services import (
    corrections,
    employers,
    revocation,
    signing_keys,
    staff,
    verification_batches,
)
from schema.services.batch_lines import MAX_LINE_CHARS, MAX_LINES
from schema.services.reference import current_catalog
from schema.services.signing_keys import published_jwks
from schema.services.verification_batches import (
    BATCHES_PER_DAY,
    CSV_HEADERS,
    LINES_PER_DAY,
    claimable_verification_batches,
    create_verification_batch,
    get_verification_batch,
    list_verification_batches,
    report_csv,
    run_verification_batch,
    verification_report,
)
from tests.support.collection import importer
from tests.support.document_batches import HOLDERS, issue_certificates
from tests.support.employers import (
    CREDIT_CODE,
    OTHER_CREDIT_CODE,
    OTHER_EMPLOYER_ID,
    checker,
    employer_actor,
    make_employer,
)
from tests.support.factories import NOW
from tests.support.flows import People, actor_of, issue_yubei_certificate, make_people

LATER = NOW + timedelta(days=20)


@pytest.fixture
async def issued(db, deps, tmp_path) -> tuple[People, list[Certificate]]:
    people = await make_people(deps)
    certs = await issue_certificates(deps, tmp_path, await importer(deps), HOLDERS, tag="emp")
    return people, certs


async def _revoke(people: People, cert: Certificate, *, at) -> None:
    catalog = await current_catalog()
    await revocation.revoke_certificate(
        actor=people.reviewer,
        cert_id=cert.cert_id,
        reason_code=catalog.revocation_reasons[0].code,
        note="弄虚作假取得",
        catalog=catalog,
        now=at,
    )


async def _run(deps, batch: VerificationBatch) -> VerificationBatch:
    assert await checker(deps, LATER).run_pending() >= 1
    await batch.refresh_from_db()
    assert batch.status is BatchStatus.DONE, batch.error
    return batch


async def _report(deps, actor: Actor, batch: VerificationBatch):
    found = await verification_report(actor=actor, batch_id=batch.public_id, store=deps.store)
    return found, verify_batch_report(found.jws, parse_jwks(await published_jwks()))


async def test_every_kind_of_line_is_answered_in_one_signed_report(deps, issued) -> None:
    people, certs = issued
    employer = await employer_actor(deps)
    await _revoke(people, certs[1], at=NOW + timedelta(days=1))
    (name0, _), (name1, _), (name2, _), _ = HOLDERS
    prefix, payload = certs[3].verification_url.rsplit("/", 1)
    tampered = f"{prefix}/{payload[:-3]}{'A' if payload[-3] != 'A' else 'B'}{payload[-2:]}"
    text = "\n".join(
        [
            "证书编号,姓名",
            f"{certs[0].number},{name0}",
            f"{certs[1].number}，{name1}",
            f"{certs[2].number}\t{name0}",  # another holder's name
            "",
            f"011320990001,{name2}",
            certs[3].verification_url,
            tampered,
            "https://example.com/V/NOTOURS/XYZ",
            "011320990002,=HYPERLINK(\"http://x\")",
        ]
    )
    batch = await create_verification_batch(actor=employer, text=text, as_of=None, now=LATER)
    assert (batch.status, batch.total, batch.credit_code) == (BatchStatus.QUEUED, 8, CREDIT_CODE)
    batch = await _run(deps, batch)
    assert batch.summary == {"INVALID_QR": 2, "NAME_MISMATCH": 1, "NOT_FOUND": 2, "REVOKED": 1, "VALID": 2}

    found, report = await _report(deps, employer, batch)
    assert found.sha256 == batch.report_sha256
    assert (report.batch_id, report.organisation_name, report.credit_code) == (
        batch.public_id,
        "重庆渝北工程建设有限公司",
        CREDIT_CODE,
    )
    assert report.as_of is None and report.kid == certs[0].kid
    states = {line["n"]: (line["state"], line.get("certId")) for line in report.lines}
    assert states == {
        2: ("VALID", certs[0].cert_id),
        3: ("REVOKED", certs[1].cert_id),
        4: ("NAME_MISMATCH", None),
        6: ("NOT_FOUND", None),
        7: ("VALID", certs[3].cert_id),
        8: ("INVALID_QR", None),
        9: ("INVALID_QR", None),
        10: ("NOT_FOUND", None),
    }
    mismatch = next(line for line in report.lines if line["n"] == 4)
    # The submitted name is echoed; nothing of the holder on record is.
    assert mismatch["input"] == {"number": certs[2].number, "name": name0}
    assert set(mismatch) == {"n", "kind", "input", "state", "stateLabel"}
    assert name2 not in found.jws and HOLDERS[2][1] not in found.jws
    qr_line = next(line for line in report.lines if line["n"] == 7)
    assert qr_line["input"]["qrSha256"] and certs[3].verification_url not in str(qr_line)

    rows = list(csv.reader(io.StringIO(report_csv(found.jws).decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADERS and len(rows) == 9
    formula = next(row for row in rows[1:] if row[0] == "10")
    assert formula[3] == "'=HYPERLINK(\"http://x\")", "a formula is never run by a spreadsheet"
    assert [row[5] for row in rows[1:3]] == ["有效", "已撤销"]

    actions = await AuditRecord.filter(
        entity_type="verification_batch", entity_id=batch.public_id
    ).values_list("action", flat=True)
    assert list(actions) == [
        AuditAction.VERIFICATION_BATCH_CREATED.value,
        AuditAction.VERIFICATION_BATCH_FINISHED.value,
    ]


async def test_the_state_on_a_day_is_replayed_from_the_audit_trail(deps, issued) -> None:
    people, certs = issued
    employer = await employer_actor(deps)
    before_day, after_day = certs[0], certs[1]
    await _revoke(people, after_day, at=NOW + timedelta(days=10))  # revoked after D
    await _revoke(people, before_day, at=NOW + timedelta(days=2))  # revoked before D
    day = (NOW + timedelta(days=5)).date()
    text = "\n".join(
        [
            f"{after_day.number},{HOLDERS[1][0]}",
            f"{before_day.number},{HOLDERS[0][0]}",
            after_day.verification_url,
            f"{certs[2].number},{HOLDERS[2][0]}",
            f"011320990001,{HOLDERS[2][0]}",
        ]
    )
    batch = await _run(
        deps, await create_verification_batch(actor=employer, text=text, as_of=day, now=LATER)
    )
    _, report = await _report(deps, employer, batch)
    assert report.as_of == day
    answers = [(line["state"], line["asOfState"]) for line in report.lines]
    assert answers == [
        ("REVOKED", "VALID"),  # valid on D, revoked since
        ("REVOKED", "REVOKED"),
        ("REVOKED", "VALID"),
        ("VALID", "VALID"),
        ("NOT_FOUND", None),
    ]
    assert report.lines[0]["asOfLabel"] == "当日有效"

    early = await _run(
        deps,
        await create_verification_batch(
            actor=employer, text=text, as_of=date(2026, 11, 1), now=LATER
        ),
    )
    _, report = await _report(deps, employer, early)
    assert [line["asOfState"] for line in report.lines[:4]] == ["NOT_ISSUED"] * 4


async def test_entry_limits_name_the_offending_lines(deps, issued) -> None:
    employer = await employer_actor(deps)
    with pytest.raises(InvalidInput) as empty:
        await create_verification_batch(actor=employer, text="\n \n", as_of=None, now=LATER)
    assert empty.value.code == "VERIFICATION_BATCH_EMPTY"
    bad = "\n".join(
        [
            "011320230001,张三",
            "only a number",
            "011320230002,李\x00四",
            "x" * (MAX_LINE_CHARS + 1),
            "0113202300030113202300030113202300031,王五",
            ",赵六",
        ]
    )
    with pytest.raises(InvalidInput) as refused:
        await create_verification_batch(actor=employer, text=bad, as_of=None, now=LATER)
    messages = {p.code: p.message for p in refused.value.problems}
    assert messages == {
        "VERIFICATION_LINE_TOO_LONG": f"第4行超过{MAX_LINE_CHARS}个字符",
        "VERIFICATION_LINE_UNSTORABLE": "第3行含有无法识别的字符（如空字符），请删除后重试",
        "VERIFICATION_LINE_FORMAT": "第2、6行格式不正确：每行应为“证书编号,持证人姓名”或证书二维码内容",
        "VERIFICATION_LINE_FIELD_TOO_LONG": "第5行过长：证书编号不超过32个字符，姓名不超过50个字",
    }
    many = "\n".join(f"0113202{i:05d},张三" for i in range(MAX_LINES + 1))
    with pytest.raises(InvalidInput) as too_many:
        await create_verification_batch(actor=employer, text=many, as_of=None, now=LATER)
    assert too_many.value.code == "VERIFICATION_BATCH_TOO_LARGE"
    for day in (LATER.date() + timedelta(days=2), date(1900, 1, 1)):
        with pytest.raises(InvalidInput) as wrong_day:
            await create_verification_batch(actor=employer, text="0113,张三", as_of=day, now=LATER)
        assert wrong_day.value.code == "VERIFICATION_AS_OF_INVALID"
    assert await VerificationBatch.all().count() == 0


async def test_only_an_employer_checks_and_only_its_own_batches_are_seen(deps, issued) -> None:
    people, certs = issued
    first = await employer_actor(deps)
    second = await employer_actor(
        deps,
        organisation="重庆万州建材有限公司",
        code=OTHER_CREDIT_CODE,
        id_number=OTHER_EMPLOYER_ID,
        mobile="13900004444",
    )
    line = f"{certs[0].number},{HOLDERS[0][0]}"
    for actor in (people.applicant, people.reviewer, people.admin, people.signer):
        with pytest.raises(Forbidden):
            await create_verification_batch(actor=actor, text=line, as_of=None, now=LATER)
        with pytest.raises(Forbidden):
            await list_verification_batches(actor=actor)
    batch = await create_verification_batch(actor=first, text=line, as_of=None, now=LATER)
    with pytest.raises(InvalidState) as not_ready:
        await verification_report(actor=first, batch_id=batch.public_id, store=deps.store)
    assert not_ready.value.code == "VERIFICATION_BATCH_NOT_READY"
    await _run(deps, batch)
    with pytest.raises(NotFound):
        await get_verification_batch(actor=second, batch_id=batch.public_id)
    with pytest.raises(NotFound):
        await verification_report(actor=second, batch_id=batch.public_id, store=deps.store)
    with pytest.raises(Forbidden):
        await get_verification_batch(actor=people.admin, batch_id=batch.public_id)
    assert (await list_verification_batches(actor=second)).items == []
    assert [b.public_id for b in (await list_verification_batches(actor=first)).items] == [
        batch.public_id
    ]


async def test_daily_limits_per_account(deps, issued) -> None:
    _, certs = issued
    first = await employer_actor(deps)
    second = await employer_actor(
        deps, code=OTHER_CREDIT_CODE, id_number=OTHER_EMPLOYER_ID, mobile="13900004444"
    )
    line = f"{certs[0].number},{HOLDERS[0][0]}"
    for _ in range(BATCHES_PER_DAY.limit):
        await create_verification_batch(actor=first, text=line, as_of=None, now=LATER)
    with pytest.raises(RateLimited) as batches:
        await create_verification_batch(actor=first, text=line, as_of=None, now=LATER)
    assert batches.value.code == "VERIFICATION_BATCH_RATE_LIMITED"
    assert "24小时内最多提交20个" in batches.value.message

    full = "\n".join([line] * MAX_LINES)
    for _ in range(LINES_PER_DAY.limit // MAX_LINES):
        await create_verification_batch(actor=second, text=full, as_of=None, now=LATER)
    with pytest.raises(RateLimited) as lines:
        await create_verification_batch(actor=second, text=line, as_of=None, now=LATER)
    assert "已提交20000行，本次1行" in lines.value.message
    # A day later both accounts may check again; the refusals counted nothing.
    tomorrow = LATER + timedelta(days=1, seconds=1)
    await create_verification_batch(actor=first, text=line, as_of=None, now=tomorrow)
    await create_verification_batch(actor=second, text=full, as_of=None, now=tomorrow)
    assert await VerificationBatch.filter(account_id=first.account_id).count() == 21


async def test_an_administrator_creates_employer_accounts(deps, issued) -> None:
    people, _ = issued
    with pytest.raises(InvalidInput) as wrong:
        await employers.create_employer(
            actor=people.admin,
            pii=deps.pii,
            organisation_name=" ",
            credit_code=CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1"),
            name="周经办",
            id_number="500112199001011239",
            mobile="13900003333",
            password="Qiushi-2026!Cert",
            now=NOW,
        )
    assert {p.code for p in wrong.value.problems} == {
        "ORGANISATION_NAME_INVALID",
        "CREDIT_CODE_CHECKSUM",
    }
    with pytest.raises(Forbidden):
        await employers.create_employer(
            actor=people.reviewer,
            pii=deps.pii,
            organisation_name="某公司",
            credit_code=CREDIT_CODE,
            name="周经办",
            id_number="500112199001011239",
            mobile="13900003333",
            password="Qiushi-2026!Cert",
            now=NOW,
        )
    created = await employers.create_employer(
        actor=people.admin,
        pii=deps.pii,
        organisation_name="重庆渝北  工程建设有限公司",
        credit_code=CREDIT_CODE.lower(),
        name="周经办",
        id_number="500112199001011239",
        mobile="13900003333",
        password="Qiushi-2026!Cert",
        now=NOW,
    )
    assert created.account.role is Role.EMPLOYER
    row = await Employer.get(account_id=created.account.id)
    assert (row.organisation_name, row.credit_code) == ("重庆渝北 工程建设有限公司", CREDIT_CODE)
    audit = await AuditRecord.get(
        entity_id=created.account.public_id, action=AuditAction.EMPLOYER_CREATED.value
    )
    assert audit.after is not None and audit.after["creditCode"] == CREDIT_CODE


async def test_progress_is_committed_as_the_batch_runs(deps, issued, monkeypatch) -> None:
    _, certs = issued
    employer = await employer_actor(deps)
    monkeypatch.setattr(verification_batches, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    real_verify = verification_batches.verify_stored

    async def watching(**kwargs):  # type: ignore[no-untyped-def]
        row = await VerificationBatch.get(public_id=batch.public_id)
        seen.append(row.done_count)
        return await real_verify(**kwargs)

    monkeypatch.setattr(verification_batches, "verify_stored", watching)
    text = "\n".join(f"{c.number},{name}" for c, (name, _) in zip(certs, HOLDERS, strict=True))
    batch = await create_verification_batch(actor=employer, text=text, as_of=None, now=LATER)
    done = await run_verification_batch(
        batch_id=batch.public_id, owner="w", issuer=deps.issuer, store=deps.store,
        clock=lambda: LATER,
    )  # fmt: skip
    assert seen == [0, 0, 2, 2], "each chunk's progress is visible to other readers"
    assert done is not None and (done.done_count, done.total, done.status) == (
        4,
        4,
        BatchStatus.DONE,
    )
    assert done.lines == [], "the submitted lines are not kept once the report holds them"


async def test_a_batch_that_cannot_be_signed_fails_after_its_attempts(deps, issued) -> None:
    people, certs = issued
    employer = await employer_actor(deps)
    batch = await create_verification_batch(
        actor=employer, text=f"{certs[0].number},{HOLDERS[0][0]}", as_of=None, now=LATER
    )
    # The only signing key is retired after the batch was queued: nothing can sign now.
    await signing_keys.retire_key(actor=people.signer, kid=str(certs[0].kid), now=LATER)
    worker = checker(deps, LATER + timedelta(minutes=1))
    for attempt in (1, 2):
        assert await worker.run_pending() == 1
        row = await VerificationBatch.get(id=batch.id)
        assert (row.status, row.attempts) == (BatchStatus.QUEUED, attempt), "tried again"
        assert row.error and row.error.startswith("NO_SIGNING_KEY")
    assert await worker.run_pending() == 1
    row = await VerificationBatch.get(id=batch.id)
    assert (row.status, row.attempts, row.report_sha256) == (BatchStatus.FAILED, 3, None)
    assert row.lease_owner is None and await worker.run_pending() == 0
    failed = await AuditRecord.get(
        entity_id=batch.public_id, action=AuditAction.VERIFICATION_BATCH_FAILED.value
    )
    assert failed.after is not None and failed.after["attempts"] == 3


async def test_a_batch_held_by_a_live_lease_is_left_alone_and_taken_over_after(
    deps, issued
) -> None:
    _, certs = issued
    employer = await employer_actor(deps)
    batch = await create_verification_batch(
        actor=employer, text=certs[0].verification_url, as_of=None, now=LATER
    )
    # A worker claimed it and died (its lease runs for a minute).
    await VerificationBatch.filter(id=batch.id).update(
        status=BatchStatus.RUNNING, lease_owner="dead", lease_until=LATER + timedelta(minutes=1),
        attempts=1,
    )  # fmt: skip
    args = {"issuer": deps.issuer, "store": deps.store, "owner": "alive"}
    assert await run_verification_batch(batch_id=batch.public_id, clock=lambda: LATER, **args) is None
    assert await claimable_verification_batches(now=LATER) == []
    later = LATER + timedelta(minutes=2)
    assert await claimable_verification_batches(now=later) == [batch.public_id]
    done = await run_verification_batch(batch_id=batch.public_id, clock=lambda: later, **args)
    assert done is not None and (done.status, done.attempts) == (BatchStatus.DONE, 2)
    assert done.summary == {"VALID": 1}


async def test_an_administrator_closes_an_employer_account_and_resets_its_totp(
    deps, issued
) -> None:
    people, _ = issued
    created = await make_employer(deps, enrol=True)
    account_id = created.account.public_id
    listed = await staff.list_staff(
        actor=people.admin, role=Role.EMPLOYER, authority_code=None, active=None, first=10,
        after=None,
    )  # fmt: skip
    assert [a.public_id for a in listed.items] == [account_id]
    everyone_staff = await staff.list_staff(
        actor=people.admin, role=None, authority_code=None, active=None, first=50, after=None
    )
    assert account_id not in {a.public_id for a in everyone_staff.items}, "not staff"

    reset, _ = await staff.reset_staff_totp(actor=people.admin, account_id=account_id, now=LATER)
    assert reset.totp_enabled_at is None and not staff.session_allowed(reset)
    closed, _ = await staff.deactivate_staff(
        actor=people.admin, account_id=account_id, reason="合作协议到期", now=LATER
    )
    assert not closed.is_active
    with pytest.raises(Forbidden):
        await staff.deactivate_staff(
            actor=actor_of(created.account), account_id=account_id, reason="x", now=LATER
        )


async def test_a_corrected_certificate_by_number_and_by_the_old_qr(db, deps) -> None:
    people = await make_people(deps)
    old = await issue_yubei_certificate(deps, people)
    catalog = await current_catalog()
    request = await corrections.request_correction(
        actor=people.applicant, cert_id=old.cert_id, reason="登记时专业选择有误，评审表为建筑工程",
        changes={"specialty": "建筑工程"}, catalog=catalog, pii=deps.pii,
        now=NOW + timedelta(days=1),
    )  # fmt: skip
    await corrections.decide_correction(
        actor=people.reviewer, correction_id=request.public_id, approve=True, note=None,
        issuer=deps.issuer, catalog=catalog, now=NOW + timedelta(days=3),
    )  # fmt: skip
    new = await Certificate.get(lineage_id=old.lineage_id, version=2)
    employer = await employer_actor(deps)
    text = f"{old.number},{old.holder_name}\n{old.verification_url}"
    answers = {}
    for day in ((NOW + timedelta(days=1)).date(), (NOW + timedelta(days=5)).date()):
        batch = await _run(
            deps, await create_verification_batch(actor=employer, text=text, as_of=day, now=LATER)
        )
        _, report = await _report(deps, employer, batch)
        answers[day] = [
            (line["state"], line["certId"], line["version"], line["asOfState"])
            for line in report.lines
        ]
    before, after = answers.values()
    # By number: the newest version holding the name; on a day before the correction, the
    # lineage was valid (its first version).
    assert before == [
        ("VALID", new.cert_id, 2, "VALID"),
        ("SUPERSEDED", old.cert_id, 1, "VALID"),
    ]
    assert after == [
        ("VALID", new.cert_id, 2, "VALID"),
        ("SUPERSEDED", old.cert_id, 1, "SUPERSEDED"),
    ]


async def test_a_certificate_whose_signing_key_was_revoked_reads_key_revoked(db, deps) -> None:
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    day_after = NOW + timedelta(days=1)
    passphrase = deps.settings.signing_passphrase.reveal()
    await signing_keys.rotate_key(actor=people.signer, passphrase=passphrase, now=day_after)
    await signing_keys.revoke_key(
        actor=people.signer, kid=str(cert.kid), effective_at=NOW - timedelta(hours=1),
        note="签名密钥疑似泄露", now=day_after,
    )  # fmt: skip
    employer = await employer_actor(deps)
    text = f"{cert.number},{cert.holder_name}\n{cert.verification_url}"
    batch = await _run(
        deps, await create_verification_batch(actor=employer, text=text, as_of=None, now=LATER)
    )
    _, report = await _report(deps, employer, batch)
    assert report.kid != cert.kid, "the report is signed by the key that signs now"
    assert [(line["state"], line["certId"], line["version"]) for line in report.lines] == [
        ("KEY_REVOKED", cert.cert_id, 1),
        ("KEY_REVOKED", cert.cert_id, 1),
    ]
    assert report.lines[0]["stateLabel"] == "签名密钥已停用"
