"""The bench's generated certificates are real ones: the verification path accepts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from bench.harness.certificates import (
    CERTIFICATE_COLUMNS,
    ContentPools,
    SigningJob,
    certificate_rows,
)
from crypto import unlock
from schema.enums import VerificationState
from schema.http_edge.deps import Deps
from schema.models import Account, Certificate
from schema.services.bulk_write import insert_rows
from schema.services.reference import current_catalog
from schema.services.signing_keys import key_records
from schema.services.verification import verification_path, verify_scanned
from tests.support.factories import NOW
from tests.support.flows import issue_yubei_certificate, make_people


async def _generated(deps: Deps, n: int, holder_rows: int) -> tuple[list[tuple[object, ...]], int]:
    people = await make_people(deps)
    first = await issue_yubei_certificate(deps, people)
    record = (await key_records())[-1]
    holder = await Account.get(id=people.applicant.account_id)
    template = SigningJob(
        start=0,
        count=0,
        seed=1,
        pools=ContentPools.from_catalog(await current_catalog()),
        private_seed=unlock(record, deps.settings.signing_passphrase.reveal()).private_bytes_raw(),
        kid=record.kid,
        public_base_url=deps.settings.public_base_url,
        registration_id=first.registration_id,
        signed_at=(NOW - timedelta(days=1)).replace(microsecond=0),
        holder=(holder.id, holder.id_number_hmac),
        holder_rows=holder_rows,
    )
    rows = [row for chunk in certificate_rows(template, n, chunk=4, processes=2) for row in chunk]
    async with in_transaction() as conn:
        await insert_rows(conn, "certificate", CERTIFICATE_COLUMNS, rows)
    return rows, holder.id


async def test_generated_certificates_verify_as_valid(db: str, deps: Deps) -> None:
    rows, holder_id = await _generated(deps, 10, holder_rows=3)
    assert len(rows) == 10
    url_at = CERTIFICATE_COLUMNS.index("verification_url")
    catalog = await current_catalog()
    now = datetime.now(UTC)
    for row in rows[::3]:
        _, _, cert_id, payload = verification_path(str(row[url_at])).split("/")
        outcome = await verify_scanned(
            cert_id=cert_id,
            payload=payload,
            catalog=catalog,
            now=now,
        )
        assert outcome.state is VerificationState.VALID
        assert outcome.certificate is not None and outcome.certificate.cert_id == cert_id
        # The claims carry reference codes the page can name.
        assert outcome.certificate.level_name != outcome.certificate.level_code
        assert outcome.certificate.series_name != outcome.certificate.series_code
    # The first rows belong to the holder (plus the one issued through the review flow).
    assert await Certificate.filter(holder_id=holder_id).count() == 3 + 1


async def test_a_tampered_generated_payload_does_not_verify(db: str, deps: Deps) -> None:
    rows, _ = await _generated(deps, 2, holder_rows=0)
    url_at = CERTIFICATE_COLUMNS.index("verification_url")
    _, _, cert_id, payload = verification_path(str(rows[0][url_at])).split("/")
    _, _, _, other_payload = verification_path(str(rows[1][url_at])).split("/")
    outcome = await verify_scanned(
        cert_id=cert_id,
        payload=other_payload,
        catalog=await current_catalog(),
        now=datetime.now(UTC),
    )
    assert outcome.state is VerificationState.UNVERIFIABLE
    assert payload != other_payload
