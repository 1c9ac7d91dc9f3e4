"""`ecert verify-report`, run as a real subprocess: a 500-line batch report verifies offline
against the published keys; a tampered, re-signed-by-nobody or unreadable report is refused
in one line, never with a traceback (both backends)."""

from __future__ import annotations

import json
from datetime import timedelta

import orjson
import pytest

from crypto._util import b64url_decode, b64url_encode
from schema.services.signing_keys import published_jwks
from schema.services.verification_batches import create_verification_batch, verification_report
from tests.support.collection import importer
from tests.support.document_batches import HOLDERS, issue_certificates
from tests.support.employers import checker, employer_actor
from tests.support.factories import NOW
from tests.support.flows import make_people
from tests.support.report_verifier import ReportRefused, verify_report_from_the_document
from tests.verify.test_keys_and_offline_cli import _env, ecert

LATER = NOW + timedelta(days=3)


def _lines(certs, count: int) -> list[str]:
    kinds = [
        *(f"{c.number},{name}" for c, (name, _) in zip(certs, HOLDERS, strict=True)),
        *(c.verification_url for c in certs),
        f"{certs[0].number},{HOLDERS[1][0]}",  # a name that is not the holder's
        "011320990001,无此人",
        "https://example.com/V/NOTOURS/XYZ",
    ]
    return [kinds[i % len(kinds)] for i in range(count)]


def _tampered(jws: str) -> str:
    """The same signature over a payload whose first answer now reads REVOKED."""
    header, payload, signature = jws.split(".")
    body = orjson.loads(b64url_decode(payload))
    body["lines"][0]["state"] = "REVOKED" if body["lines"][0]["state"] != "REVOKED" else "VALID"
    body["summary"] = {}
    for line in body["lines"]:
        body["summary"][line["state"]] = body["summary"].get(line["state"], 0) + 1
    return ".".join([header, b64url_encode(orjson.dumps(body)), signature])


async def test_a_500_line_report_verifies_and_a_tampered_one_is_refused(db, deps, tmp_path):
    await make_people(deps)
    certs = await issue_certificates(deps, tmp_path, await importer(deps), HOLDERS, tag="cli")
    employer = await employer_actor(deps)
    batch = await create_verification_batch(
        actor=employer, text="\n".join(_lines(certs, 500)), as_of=None, now=LATER
    )
    assert batch.total == 500
    assert await checker(deps, LATER).run_pending() == 1
    report = await verification_report(actor=employer, batch_id=batch.public_id, store=deps.store)
    path = tmp_path / "report.jwt"
    path.write_text(report.jws, encoding="ascii")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(await published_jwks()), encoding="utf-8")
    env = _env(db, deps.settings.data_dir)

    # A verifier written from docs/verification-format.md §15 alone accepts it …
    payload = verify_report_from_the_document(report.jws, await published_jwks())
    assert payload["lineCount"] == 500 and payload["batchId"] == batch.public_id
    # … and refuses the tampered one.
    with pytest.raises(ReportRefused):
        verify_report_from_the_document(_tampered(report.jws), await published_jwks())

    ok = ecert(env, "verify-report", str(path), "--jwks", str(jwks))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    out = ok.stdout.splitlines()
    assert out[0] == "结果：报告有效（签名已验证，内容未被修改）"
    assert batch.public_id in out[1] and "91500112MA5YX0001" in out[2]
    assert any(line.startswith("共 500 行：") for line in out)
    assert sum(line.startswith("第") and "行 " in line for line in out) == 500
    assert (
        "第1行 " in ok.stdout and "有效" in ok.stdout and "证书编号与持证人姓名不一致" in ok.stdout
    )
    summary = ecert(env, "verify-report", str(path), "--jwks", str(jwks), "--summary")
    assert summary.returncode == 0 and len(summary.stdout.splitlines()) == 5

    tampered = tmp_path / "tampered.jwt"
    tampered.write_text(_tampered(report.jws), encoding="ascii")
    bad = ecert(env, "verify-report", str(tampered), "--jwks", str(jwks))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert (
        bad.stdout.strip() == "结果：无法验证（签名无效：报告内容被篡改，或不是本系统签发的报告）"
    )
    assert "Traceback" not in bad.stderr

    empty = tmp_path / "empty.json"
    empty.write_text('{"keys": []}', encoding="utf-8")
    unknown = ecert(env, "verify-report", str(path), "--jwks", str(empty))
    assert unknown.returncode == 1 and "--fetch" in unknown.stdout

    garbage = tmp_path / "garbage.jwt"
    garbage.write_bytes(b"\xff\xfe not a report")
    for refused in (garbage, tmp_path / "missing.jwt"):
        result = ecert(env, "verify-report", str(refused), "--jwks", str(jwks))
        assert result.returncode in (1, 2)
        assert len((result.stdout + result.stderr).strip().splitlines()) == 1
        assert "Traceback" not in result.stderr
