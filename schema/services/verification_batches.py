"""Employer batch checks (用人单位批量核验): many certificates, one signed report, as a job.

An employer account submits lines (``schema.services.batch_lines``: a certificate number
with the holder's name, or a QR text) and optionally a day D. ``create_verification_batch``
checks them all, counts them against the account's daily limits and queues the batch; a
worker (``graphql_api.worker``: procrastinate on PostgreSQL, the in-process worker on
SQLite) answers it with ``run_verification_batch`` under a lease on the batch row, as document
batches are run: the progress is committed every ``PROGRESS_EVERY`` lines with the renewed
lease, and the report is put in the blob store only once complete, so a batch is either done
with its whole report or not done at all.

Each line's answer follows the public rules:

* a number and a name are answered as the lookup form answers them
  (``schema.services.lookup``): exact number and exact name, the newest such version, its
  stored payload verified like a scan. A number on record under another name is
  ``NAME_MISMATCH`` and says nothing more (no name, no certificate id);
* a QR text is verified exactly as the verification page verifies it
  (``schema.services.verification.verify_text``); anything that is not a genuine code of
  this service is ``INVALID_QR``;
* with a day D, each found certificate also gets its state at the end of D, replayed from
  the audit trail (``schema.services.state_on_date``).

The report (``crypto.batch_report``, ``docs/verification-format.md`` §15) is a compact JWS
signed by the key that signs certificates at that moment, so it verifies offline against the
published key list; ``report_csv`` renders it for people. Once the report is stored, the
submitted lines are cleared from the batch row (the report is their one copy).
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from crypto import UrlFormatError, parse_verification_url
from crypto.batch_report import read_report_payload, sign_batch_report
from schema.actor import Actor
from schema.enums import AuditAction, BatchLineState, StateOnDate, VerificationState
from schema.errors import InvalidInput, InvalidState, NotFound, RateLimited
from schema.models import BatchStatus, Certificate, VerificationBatch
from schema.reference.catalog import Catalog
from schema.services import leased_jobs
from schema.services.audit import write_audit
from schema.services.batch_lines import NUMBER_KIND, QR_KIND, parse_batch_text
from schema.services.employers import employer_of, require_employer
from schema.services.issuance import Issuer
from schema.services.keys import get_by_key
from schema.services.paging import Page, keyset_page
from schema.services.reference import current_catalog
from schema.services.state_on_date import (
    BEIJING,
    group_by_lineage,
    lineage_state_on,
    version_states_on,
)
from schema.services.throttle import FixedWindowCounter, minutes_left
from schema.services.verification import VerificationOutcome, verify_stored, verify_text
from schema.storage import BlobStore

__all__ = [
    "BATCHES_PER_DAY",
    "LINES_PER_DAY",
    "MAX_ATTEMPTS",
    "VerificationReport",
    "claimable_verification_batches",
    "create_verification_batch",
    "get_verification_batch",
    "list_verification_batches",
    "report_csv",
    "run_verification_batch",
    "verification_batch_percent",
    "verification_report",
]

_log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROGRESS_EVERY = 100  # lines between two progress commits (and lease renewals)
BATCHES_CURSOR = "vb"
#: Per employer account and fixed window of 24 hours (``schema.services.throttle``).
BATCHES_PER_DAY = FixedWindowCounter("employer-batches:", limit=20, window=timedelta(days=1))
LINES_PER_DAY = FixedWindowCounter("employer-lines:", limit=20_000, window=timedelta(days=1))
EARLIEST_AS_OF = date(1949, 10, 1)
CSV_HEADERS = (
    "行号",
    "输入类型",
    "证书编号",
    "持证人姓名",
    "二维码SHA-256",
    "核验结果",
    "结果代码",
    "证书ID",
    "版本",
    "指定日期状态",
    "指定日期状态代码",
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_AUDIT = leased_jobs.BatchAudit(
    done=AuditAction.VERIFICATION_BATCH_FINISHED,
    failed=AuditAction.VERIFICATION_BATCH_FAILED,
    entity_type="verification_batch",
    shown={"sha256": "report_sha256", "kid": "report_kid", "summary": "summary"},
)
_FROM_VERDICT = {
    VerificationState.VALID: BatchLineState.VALID,
    VerificationState.REVOKED: BatchLineState.REVOKED,
    VerificationState.SUPERSEDED: BatchLineState.SUPERSEDED,
    VerificationState.KEY_REVOKED: BatchLineState.KEY_REVOKED,
}


def verification_batch_percent(batch: VerificationBatch) -> float:
    if batch.status is BatchStatus.DONE:
        return 100.0
    if not batch.total:
        return 0.0
    return min(100.0, 100.0 * batch.done_count / batch.total)


# ------------------------------------------------------------------------------ create


def _check_as_of(as_of: date | None, now: datetime) -> None:
    today = now.astimezone(BEIJING).date()
    if as_of is not None and not EARLIEST_AS_OF <= as_of <= today:
        raise InvalidInput.one(
            "VERIFICATION_AS_OF_INVALID",
            f"指定日期应在{EARLIEST_AS_OF.isoformat()}至今天（{today.isoformat()}）之间",
            "asOf",
        )


async def create_verification_batch(
    *, actor: Actor, text: str, as_of: date | None, now: datetime
) -> VerificationBatch:
    """Check the lines, count the batch and its lines against the account's daily limits,
    and queue it; one transaction with its audit record (a refused batch counts nothing)."""
    require_employer(actor)
    employer = await employer_of(actor)
    _check_as_of(as_of, now)
    lines = parse_batch_text(text)
    subject = str(actor.account_id)
    async with in_transaction() as conn:
        batches = await BATCHES_PER_DAY.take(subject, 1, now=now, using_db=conn)
        quota = (
            await LINES_PER_DAY.take(subject, len(lines), now=now, using_db=conn)
            if not batches.refused
            else batches
        )
        if quota.refused:
            limit = (
                f"每个账户24小时内最多提交{BATCHES_PER_DAY.limit}个批量核验任务"
                if batches.refused
                else f"每个账户24小时内最多核验{LINES_PER_DAY.limit}行"
                f"（已提交{quota.count}行，本次{len(lines)}行）"
            )
            wait = minutes_left(quota.blocked_until or now, now)
            raise RateLimited(
                f"{limit}，请{wait}分钟后再试", code="VERIFICATION_BATCH_RATE_LIMITED"
            )
        batch = await VerificationBatch.create(
            public_id=secrets.token_hex(12),
            account_id=actor.account_id,
            organisation_name=employer.organisation_name,
            credit_code=employer.credit_code,
            lines=lines,
            as_of=as_of,
            status=BatchStatus.QUEUED,
            total=len(lines),
            created_at=now,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.VERIFICATION_BATCH_CREATED,
            entity_type="verification_batch",
            entity_id=batch.public_id,
            now=now,
            after={
                "total": batch.total,
                "asOf": as_of.isoformat() if as_of else None,
                "creditCode": employer.credit_code,
            },
            using_db=conn,
        )
    return batch


# ------------------------------------------------------------------------------- read


async def get_verification_batch(*, actor: Actor, batch_id: str) -> VerificationBatch:
    """One of the employer account's own batches; any other looks missing."""
    require_employer(actor)
    batch = await get_by_key(
        VerificationBatch.filter(account_id=actor.account_id), public_id=batch_id
    )
    if batch is None:
        raise NotFound("批量核验任务不存在", code="VERIFICATION_BATCH_NOT_FOUND", field="id")
    return batch


async def list_verification_batches(
    *, actor: Actor, first: int = 20, after: str | None = None
) -> Page[VerificationBatch]:
    """The employer account's own batches, newest first."""
    require_employer(actor)
    query = VerificationBatch.filter(account_id=actor.account_id)
    return await keyset_page(
        query, kind=BATCHES_CURSOR, first=first, after=after, newest_first=True
    )


@dataclass(frozen=True)
class VerificationReport:
    """A finished batch's signed report (the compact JWS, as stored)."""

    batch_id: str
    jws: str
    sha256: str


async def verification_report(
    *, actor: Actor, batch_id: str, store: BlobStore
) -> VerificationReport:
    """The finished batch's report; a batch not finished yet is ``InvalidState``."""
    batch = await get_verification_batch(actor=actor, batch_id=batch_id)
    if batch.status is not BatchStatus.DONE or not batch.report_sha256:
        raise InvalidState("核验报告尚未生成", code="VERIFICATION_BATCH_NOT_READY")
    body = await store.get(batch.report_sha256)
    return VerificationReport(
        batch_id=batch.public_id, jws=body.decode("ascii"), sha256=batch.report_sha256
    )


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def report_csv(jws: str) -> bytes:
    """The report for people: one row per line (UTF-8 with BOM, for spreadsheets). Text a
    spreadsheet would run as a formula is quoted with a leading apostrophe."""
    payload = read_report_payload(jws)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for line in payload["lines"]:
        echo = line["input"]
        writer.writerow(
            (
                line["n"],
                "证书编号和姓名" if line["kind"] == NUMBER_KIND else "二维码",
                _csv_safe(str(echo.get("number", ""))),
                _csv_safe(str(echo.get("name", ""))),
                echo.get("qrSha256", ""),
                line["stateLabel"],
                line["state"],
                line.get("certId", ""),
                line.get("version", ""),
                line.get("asOfLabel", ""),
                line.get("asOfState", ""),
            )
        )
    return out.getvalue().encode("utf-8-sig")


# -------------------------------------------------------------------------------- run


async def claimable_verification_batches(*, now: datetime) -> list[str]:
    """Batches waiting for a worker: queued, or running under a lease that ran out."""
    return await leased_jobs.claimable(VerificationBatch, now=now)


def _qr_echo(text: str) -> dict[str, str]:
    return {"qrSha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}


def _answer(
    line: dict[str, Any], state: BatchLineState, cert_id: str | None, version: int | None
) -> dict[str, Any]:
    echo = (
        {"number": line["number"], "name": line["name"]}
        if line["kind"] == NUMBER_KIND
        else _qr_echo(line["qr"])
    )
    answer: dict[str, Any] = {
        "n": line["n"],
        "kind": line["kind"],
        "input": echo,
        "state": state.value,
        "stateLabel": state.label,
    }
    if cert_id is not None:
        answer["certId"] = cert_id
        answer["version"] = version
    return answer


def _line_state(outcome: VerificationOutcome, *, qr: bool) -> BatchLineState:
    found = _FROM_VERDICT.get(outcome.state)
    if found is not None:
        return found
    return BatchLineState.INVALID_QR if qr else BatchLineState.UNVERIFIABLE


@dataclass(frozen=True)
class _Context:
    catalog: Catalog
    public_base_url: str
    now: datetime
    as_of: date | None


async def _number_lines(
    lines: Sequence[dict[str, Any]], ctx: _Context
) -> dict[int, tuple[dict[str, Any], str | None]]:
    """Number-and-name lines → (answer, lineage) by line number; one query for the chunk."""
    numbers = sorted({line["number"] for line in lines})
    rows = await Certificate.filter(
        number__in=numbers, signed_payload__not_isnull=True
    ).values_list("cert_id", "number", "holder_name", "version", "signed_payload", "lineage_id")
    by_number: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_number.setdefault(str(row[1]), []).append(row)
    answers: dict[int, tuple[dict[str, Any], str | None]] = {}
    for line in lines:
        on_record = by_number.get(line["number"], [])
        named = [row for row in on_record if row[2] == line["name"]]
        if not on_record:
            answers[line["n"]] = (_answer(line, BatchLineState.NOT_FOUND, None, None), None)
            continue
        if not named:
            answers[line["n"]] = (_answer(line, BatchLineState.NAME_MISMATCH, None, None), None)
            continue
        cert_id, _, _, version, payload, lineage = max(named, key=lambda row: row[3])
        outcome = await verify_stored(
            cert_id=cert_id, signed_payload=payload, catalog=ctx.catalog, now=ctx.now
        )
        state = _line_state(outcome, qr=False)
        answers[line["n"]] = (_answer(line, state, cert_id, version), str(lineage))
    return answers


async def _qr_line(line: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    try:
        cert_id, _ = parse_verification_url(line["qr"], expected_base=ctx.public_base_url)
    except UrlFormatError:
        return _answer(line, BatchLineState.INVALID_QR, None, None)
    outcome = await verify_text(
        text=line["qr"], public_base_url=ctx.public_base_url, catalog=ctx.catalog, now=ctx.now
    )
    state = _line_state(outcome, qr=True)
    if state is BatchLineState.INVALID_QR:
        return _answer(line, state, None, None)
    if outcome.certificate is not None:
        version = outcome.certificate.version
    else:  # KEY_REVOKED: the register vouches for the id, the claims are not shown
        cert = await Certificate.get(cert_id=cert_id).only("id", "version")
        version = cert.version
    return _answer(line, state, cert_id, version)


async def _add_as_of(
    answers: list[dict[str, Any]], lineages: dict[int, str | None], day: date
) -> None:
    """Each found line's state at the end of ``day`` (number lines: the lineage's)."""
    wanted = {lineage for lineage in lineages.values() if lineage}
    rows = (
        await Certificate.filter(lineage_id__in=sorted(wanted)).values_list(
            "cert_id", "lineage_id", "version"
        )
        if wanted
        else []
    )
    by_lineage = group_by_lineage((str(c), str(lin), int(v)) for c, lin, v in rows)
    qr_ids = [a["certId"] for a in answers if a["kind"] == QR_KIND and "certId" in a]
    every = {c for versions in by_lineage.values() for c in versions} | set(qr_ids)
    states = await version_states_on(every, day=day)
    for answer in answers:
        state: StateOnDate | None = None
        lineage = lineages.get(answer["n"])
        if "certId" not in answer:
            state = None
        elif answer["kind"] == QR_KIND:
            state = states.get(answer["certId"], StateOnDate.NOT_ISSUED)
        elif lineage is not None:
            _, state = lineage_state_on(by_lineage.get(lineage, {}), states)
        answer["asOfState"] = state.value if state else None
        answer["asOfLabel"] = state.label if state else None


async def _answer_chunk(lines: Sequence[dict[str, Any]], ctx: _Context) -> list[dict[str, Any]]:
    numbered = await _number_lines([x for x in lines if x["kind"] == NUMBER_KIND], ctx)
    answers = []
    lineages: dict[int, str | None] = {}
    for line in lines:
        if line["kind"] == NUMBER_KIND:
            answer, lineage = numbered[line["n"]]
            lineages[line["n"]] = lineage
        else:
            answer = await _qr_line(line, ctx)
        answers.append(answer)
    if ctx.as_of is not None:
        await _add_as_of(answers, lineages, ctx.as_of)
    return answers


async def _answer_all(
    batch: VerificationBatch,
    owner: str,
    ctx: _Context,
    clock: Callable[[], datetime],
    lease: timedelta,
) -> list[dict[str, Any]]:
    lines = list(batch.lines)
    answers: list[dict[str, Any]] = []
    for start in range(0, len(lines), PROGRESS_EVERY):
        answers += await _answer_chunk(lines[start : start + PROGRESS_EVERY], ctx)
        if len(answers) < len(lines):
            await leased_jobs.progress(batch, owner, done=len(answers), now=clock(), lease=lease)
    return answers


async def _sign(
    batch: VerificationBatch, answers: list[dict[str, Any]], issuer: Issuer, now: datetime
) -> tuple[str, str]:
    issued_at = now.replace(microsecond=0)
    kid, private_key = await issuer.signer.private_key(issued_at)
    jws = await asyncio.to_thread(
        sign_batch_report,
        issuer=issuer.public_base_url.lower().rstrip("/"),
        batch_id=batch.public_id,
        organisation_name=batch.organisation_name,
        credit_code=batch.credit_code,
        submitted_at=batch.created_at,
        as_of=batch.as_of,
        lines=answers,
        issued_at=issued_at,
        private_key=private_key,
        kid=kid,
    )
    return kid, jws


async def run_verification_batch(
    *,
    batch_id: str,
    owner: str,
    issuer: Issuer,
    store: BlobStore,
    clock: Callable[[], datetime],
    lease: timedelta = timedelta(seconds=60),
) -> VerificationBatch | None:
    """Claim the batch, answer every line and sign the report; ``None`` when another worker
    holds it (or it is finished) or took it over meanwhile. A failed attempt puts the batch
    back in the queue until ``MAX_ATTEMPTS``, then marks it ``FAILED``."""
    batch = await leased_jobs.claim(
        VerificationBatch, batch_id, owner, now=clock(), lease=lease, reset={"done_count": 0}
    )
    if batch is None:
        return None
    if batch.attempts > MAX_ATTEMPTS:  # its workers died each time
        error = "VERIFICATION_BATCH_TOO_MANY_ATTEMPTS: 批量核验多次中断，已停止"
        await leased_jobs.fail_attempt(
            batch, owner, error, clock=clock, max_attempts=MAX_ATTEMPTS, audit=_AUDIT
        )
        return batch
    try:
        ctx = _Context(
            catalog=await current_catalog(),
            public_base_url=issuer.public_base_url,
            now=clock(),
            as_of=batch.as_of,
        )
        answers = await _answer_all(batch, owner, ctx, clock, lease)
        kid, jws = await _sign(batch, answers, issuer, clock())
        key = await store.put(jws.encode("ascii"))
    except leased_jobs.LeaseLost:
        _log.warning("verification batch %s taken over by another worker", batch.public_id)
        return None
    except Exception as exc:
        _log.exception("verification batch %s: attempt %s failed", batch.public_id, batch.attempts)
        error = leased_jobs.short_error(exc)
        done = await leased_jobs.fail_attempt(
            batch, owner, error, clock=clock, max_attempts=MAX_ATTEMPTS, audit=_AUDIT
        )
        return batch if done else None
    summary: dict[str, int] = {}
    for answer in answers:
        summary[answer["state"]] = summary.get(answer["state"], 0) + 1
    now = clock()
    done = await leased_jobs.finish(
        batch,
        owner,
        now=now,
        status=BatchStatus.DONE,
        values={
            "done_count": batch.total,
            "summary": dict(sorted(summary.items())),
            "report_sha256": key,
            "report_size": len(jws),
            "report_kid": kid,
            "error": None,
            "finished_at": now,
            # The lines (names as typed) are kept only until answered: the report echoes them.
            "lines": [],
        },
        audit=_AUDIT,
    )
    return batch if done else None
