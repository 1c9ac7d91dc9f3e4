"""``ecert ca`` and ``ecert certificate`` as an operator runs them: the real binary on a real
database with an issued certificate; failures are one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crypto.pdf_signature import check_pdf_signature
from schema.http_edge.deps import Deps
from schema.models import DocumentCredential
from tests.ops.test_cli_errors import one_line, run_ecert
from tests.support.flows import issue_yubei_certificate, make_people


async def _run(deps: Deps, database_url: str, *args: str, **env: str):
    return await asyncio.to_thread(
        run_ecert, list(args), database_url=database_url, data_dir=deps.settings.data_dir, **env
    )


async def test_ca_init_then_certificate_pdf_writes_a_sealed_file(
    db: str, database_url: str, deps: Deps, tmp_path: Path
) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    init = await _run(deps, database_url, "ca", "init")
    assert init.returncode == 0, init.stderr
    assert "root created" in init.stdout
    again = await _run(deps, database_url, "ca", "init")
    assert again.returncode == 0 and "root present" in again.stdout, again.stderr
    assert "authority signing certificates added: 0" in again.stdout

    root_file = tmp_path / "root.pem"
    root = await _run(deps, database_url, "ca", "root", "--out", str(root_file))
    assert root.returncode == 0, root.stderr

    out = tmp_path / "cert.pdf"
    made = await _run(deps, database_url, "certificate", "pdf", cert.cert_id, "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert f"wrote {out}" in made.stdout
    report = await asyncio.to_thread(
        check_pdf_signature, out.read_bytes(), trusted_roots=[root_file.read_bytes()]
    )
    assert report.ok and report.authority_code == cert.authority_code, report


async def test_failures_are_one_line(db: str, database_url: str, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    before_init = await _run(deps, database_url, "certificate", "pdf", cert.cert_id)
    assert "DOCUMENT_SEAL_NOT_CONFIGURED" in one_line(before_init)
    assert "no document root yet" in (await _run(deps, database_url, "ca", "root")).stderr

    assert (await _run(deps, database_url, "ca", "init")).returncode == 0
    missing = await _run(deps, database_url, "certificate", "pdf", "A" * 26)
    assert "CERTIFICATE_NOT_FOUND" in one_line(missing)

    count = await DocumentCredential.all().count()
    wrong = await _run(
        deps, database_url, "ca", "init", ECERT_SIGNING_PASSPHRASE="another passphrase"
    )
    assert "DOCUMENT_SEAL_PASSPHRASE_WRONG" in one_line(wrong)
    assert await DocumentCredential.all().count() == count
