"""``ecert verify FILE.pdf`` as a real subprocess against a real server (uvicorn on
127.0.0.1) whose official origin is its own address, so the QR code's URL is reachable."""

from __future__ import annotations

import os
from pathlib import Path

from schema.http_edge.deps import build_deps
from schema.http_edge.settings import load_settings
from tests.support.flows import issue_yubei_certificate, make_people
from tests.support.server import free_port, live_server
from tests.support.settings import test_environ
from tests.verify.document_support import flip_one_byte, init_sealing, sealed_pdf
from tests.verify.test_keys_and_offline_cli import ecert_async
from tests.verify.verify_support import revoke


async def test_cli_reports_seal_qr_and_status_of_a_pdf(db, database_url, tmp_path: Path):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    deps = build_deps(
        load_settings(
            test_environ(
                database_url=database_url, data_dir=str(data_dir), ECERT_PUBLIC_BASE_URL=origin
            )
        )
    )
    people = await make_people(deps)
    cert = await issue_yubei_certificate(deps, people)
    await init_sealing(deps)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(await sealed_pdf(deps, cert))
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_one_byte(pdf.read_bytes()))
    # The verifier's machine: no service settings, only its own cache directory.
    verifier = tmp_path / "verifier"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ECERT_") or k.startswith("ECERT_TEST")
    }
    env["ECERT_DATA_DIR"] = str(verifier)

    async with live_server(deps, port=port):
        code, out, err = await ecert_async(env, "verify", str(pdf), "--fetch", origin)
        assert code == 0, out + err
        assert (verifier / "jwks.json").is_file()
        assert (verifier / "ecert-document-root.pem").read_bytes().startswith(b"-----BEGIN")
        assert "一、文件签章：有效" in out and "渝北区人力资源和社会保障局" in out
        assert "含可信时间戳" in out
        assert f"二、证书二维码：签名有效（离线核验）证书ID {cert.cert_id}" in out
        assert cert.check_code in out
        assert "三、当前状态：有效" in out
        assert out.rstrip().endswith("结论：文件真实，证书当前有效")

        # Cached JWK Set and root: no --fetch needed any more.
        code, out, err = await ecert_async(env, "verify", str(tampered))
        assert code == 1, out + err
        assert "一、文件签章：无效（文件被修改" in out
        assert "结论：文件不能作为有效的职称证明：文件被修改" in out
        assert "Traceback" not in err

        await revoke(people, cert)
        code, out, err = await ecert_async(env, "verify", str(pdf))
        assert code == 1, out + err
        assert "一、文件签章：有效" in out and "三、当前状态：已撤销" in out
        assert "证书已撤销" in out.splitlines()[-1]

        code, out, err = await ecert_async(env, "verify", str(pdf), "--offline")
        assert code == 0, out + err
        assert "三、当前状态：未查询" in out

    # The site is gone: one line, non-zero, no traceback, no hang.
    code, out, err = await ecert_async(env, "verify", str(pdf))
    assert code == 2
    assert err.strip().count("\n") == 0 and "cannot reach" in err and "--offline" in err
    assert "一、文件签章：有效" in out

    # A root file that is not a certificate, or no root at all: one line, exit 2.
    wrong_root = tmp_path / "other-root.pem"
    wrong_root.write_text("not a certificate", encoding="ascii")
    code, out, err = await ecert_async(env, "verify", str(pdf), "--root", str(wrong_root))
    assert code == 2 and err.startswith("ecert: ") and "Traceback" not in err
    code, out, err = await ecert_async(
        env, "verify", str(pdf), "--root", str(tmp_path / "missing.pem"), "--offline"
    )
    assert code == 2 and "--root" in err
