"""``ecert verify FILE.pdf``: a certificate document checked in three parts, together.

1. 文件签章: the PAdES seal, against the document root (``--root FILE``, or the one
   ``--fetch ORIGIN`` downloads from ``ORIGIN/.well-known/ecert-document-root.pem`` and
   keeps next to the JWK Set cache, or that cache).
2. 证书二维码: the QR code on the first page (``crypto.pdf_qr``), verified offline against
   the JWK Set exactly as ``ecert verify IMAGE`` does; the sealing authority must be the
   certificate's.
3. 当前状态: the QR's own URL asked over HTTP for JSON (the ``/V/…`` page's answer), unless
   ``--offline``. A site that cannot be reached is said in one line (exit 2).

Exit 0 only when every part agrees; 1 when the document is not genuine and current; 2 for
anything that stopped the check (files, root, network). Never a traceback, never a hang
(every request has a timeout).
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from schema.enums import VerificationState

__all__ = ["DOCUMENT_ROOT_CACHE_NAME", "fetch_document_root", "verify_pdf_document"]

DOCUMENT_ROOT_CACHE_NAME = "ecert-document-root.pem"
_TIMEOUT = 15
# The verdict's label (schema.enums, the one label table), with a hint for 已更正.
_STATE_HINTS = {"SUPERSEDED": "（请以新版本为准）"}
_STATES = frozenset(member.value for member in VerificationState)


def _state_label(state: str) -> str:
    return VerificationState(state).label + _STATE_HINTS.get(state, "")


_SEAL_PROBLEMS = {
    "malformed": "文件结构损坏",
    "no_signature": "文件没有电子签章",
    "unsupported": "签章格式不受支持",
    "modified": "文件被修改（签章后内容有改动）",
    "invalid": "签章数据无效",
    "untrusted": "签章证书不是本系统签发的（与根证书不符）",
    "not_whole_document": "文件被修改（签章后追加了内容）",
}


def _fail(message: str) -> NoReturn:
    from graphql_api.cli import _usage_error

    _usage_error(message)


def fetch_document_root(base: str, target: Path) -> None:
    """Download ``ORIGIN/.well-known/ecert-document-root.pem`` into ``target``."""
    parts = urlsplit(base.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        _fail(f"--fetch needs an http(s) origin such as https://verify.example, not {base!r}")
    url = f"{parts.scheme}://{parts.netloc}/.well-known/ecert-document-root.pem"
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as resp:  # noqa: S310 (scheme checked)
            pem = resp.read(100_000)
    except (OSError, ValueError) as exc:
        _fail(f"could not fetch {url}: {exc}")
    if b"-----BEGIN CERTIFICATE-----" not in pem:
        _fail(f"{url} did not answer a PEM certificate")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pem)
    print(f"fetched {url} → {target}")


def _root(args: argparse.Namespace, cache_dir: Path) -> bytes:
    if args.root:
        path = Path(args.root)
    else:
        path = cache_dir / DOCUMENT_ROOT_CACHE_NAME
        if args.fetch:
            fetch_document_root(args.fetch, path)
    if not path.is_file():
        _fail(
            f"no document root certificate at {path}: pass --root FILE or --fetch "
            "https://ORIGIN, or on the server run `ecert ca root --out FILE`"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc}")


def _status(url: str) -> dict[str, Any]:
    """The ``/V/…`` page's JSON for the QR's URL; one line and exit 2 when unreachable."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http"):
        _fail(f"the QR code's URL is not http(s): {url!r}")
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as resp:  # noqa: S310
            body = json.loads(resp.read(1_000_000))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        _fail(
            f"cannot reach {origin} for the current status ({reason}); "
            "check the network or pass --offline"
        )
    if not isinstance(body, dict) or body.get("state") not in _STATES:
        _fail(f"{origin} did not answer a verification result for the QR code's URL")
    return body


def verify_pdf_document(
    pdf: bytes, *, name: str, jwks: Any, args: argparse.Namespace, cache_dir: Path
) -> int:
    """The three parts of ``pdf`` printed together; the exit status (see the module)."""
    from crypto import JWKSError, VerificationError, check_code, parse_verification_url
    from crypto.document_ca import DocumentCaError
    from crypto.offline import verify_offline
    from crypto.pdf_qr import PdfQrError, PdfQrProblem, decode_pdf_qr
    from crypto.pdf_signature import check_pdf_signature

    root = _root(args, cache_dir)
    try:
        report = check_pdf_signature(pdf, trusted_roots=[root])
    except DocumentCaError:
        _fail("the document root file is not an X.509 certificate (PEM or DER)")
    problems: list[str] = []

    print(f"文件：{name}")
    if report.ok:
        stamp = "，含可信时间戳" if report.timestamped else ""
        signed = report.signed_at.isoformat() if report.signed_at else "未知"
        print(
            f"一、文件签章：有效（签章机关：{report.signer_name}（{report.authority_code}），"
            f"签章时间：{signed}{stamp}）"
        )
    else:
        reason = _SEAL_PROBLEMS.get(report.problem or "", "签章无效")
        print(f"一、文件签章：无效（{reason}）")
        problems.append(
            "文件被修改" if report.problem in ("modified", "not_whole_document") else "文件签章无效"
        )

    text: str | None = None
    try:
        text = decode_pdf_qr(pdf)
    except PdfQrError as exc:
        if exc.problem is PdfQrProblem.TOO_MANY_PAGES:
            _fail(f"{name}: too many pages for a certificate document ({exc})")
        print(
            "二、证书二维码：文件中未找到二维码"
            if exc.problem is not PdfQrProblem.SEVERAL_QR
            else "二、证书二维码：文件中有多个不同的二维码"
        )
        problems.append("文件中未找到二维码")
    claims = None
    if text is not None:
        try:
            verified = verify_offline(text, jwks)
        except JWKSError as exc:
            _fail(f"invalid JWK Set: {exc}")
        except VerificationError:
            print("二、证书二维码：无法验证（签名无效、内容被篡改，或不是本系统签发的证书）")
            problems.append("二维码无法验证")
        else:
            claims = verified.claims
            _, cose = parse_verification_url(text)
            print(
                f"二、证书二维码：签名有效（离线核验）证书ID {claims.cert_id} 第{claims.version}版，"
                f"持证人 {claims.holder_name}，证书编号 {claims.number}，核验码 {check_code(cose)}"
            )
            if report.present and report.authority_code != claims.authority_code:
                print(
                    f"    签章机关（{report.authority_code}）与证书发证机关"
                    f"（{claims.authority_code}）不一致"
                )
                problems.append("签章机关与证书发证机关不一致")

    if args.offline:
        print("三、当前状态：未查询（--offline；是否已更正或撤销须在线查询）")
    elif claims is None or text is None:
        print("三、当前状态：无法查询（未能核验二维码）")
    else:
        body = _status(text.strip())
        state = body["state"]
        cert = body.get("certificate") or {}
        line = f"三、当前状态：{_state_label(state)}（在线查询 {urlsplit(text.strip()).netloc.lower()}）"
        if state == "REVOKED":
            revoked = body.get("revoked") or {}
            reason = (revoked.get("reason") or {}).get("name") or "—"
            line += f"，撤销原因：{reason}，撤销时间：{revoked.get('at') or '—'}"
        elif state == "SUPERSEDED":
            current = (body.get("superseded") or {}).get("currentVersion") or {}
            if current.get("verificationUrl"):
                line += f"，新版本：{current['verificationUrl']}"
        print(line)
        if state != "UNVERIFIABLE" and cert.get("certId") != claims.cert_id:
            problems.append("在线结果与二维码不是同一份证书")
        elif state != "VALID":
            problems.append(
                {"REVOKED": "证书已撤销", "SUPERSEDED": "证书已更正（请以新版本为准）"}.get(
                    state, "在线核验无法验证"
                )
            )
    if problems:
        print("结论：文件不能作为有效的职称证明：" + "；".join(dict.fromkeys(problems)))
        return 1
    if args.offline:
        print("结论：文件签章与二维码均有效（当前状态未在线查询）")
    else:
        print("结论：文件真实，证书当前有效")
    return 0
