"""DocumentVerdict → the result page of 上传文件核验 and its JSON twin.

As for the scan page (``verify_page.presenter``), the page and the JSON are built from the
same verdict, and rendering reads nothing but it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from schema.enums import DocumentFinding, VerificationState
from schema.services.document_verification import DocumentVerdict
from verify_page.presenter import (
    _base_context,
    _certificate_html,
    _env,
    cn_datetime,
    to_json,
)

__all__ = ["document_json", "render_document_form", "render_document_verdict"]

# The banner: colour class (verify.css) and its big word.
_BANNERS = {
    None: ("valid", "✓", "真实有效"),
    DocumentFinding.CERTIFICATE_REVOKED: ("revoked", "✕", "已撤销"),
    DocumentFinding.CERTIFICATE_SUPERSEDED: ("superseded", "↻", "已更正"),
    DocumentFinding.CERTIFICATE_KEY_REVOKED: ("key_revoked", "!", "签名密钥已停用"),
    DocumentFinding.DOCUMENT_MODIFIED: ("revoked", "✕", "文件被修改"),
}
_UNSURE_BANNER = ("unverifiable", "?", "无法确认")
_SEAL_PROBLEMS = {
    "not_a_pdf": "不是PDF文件",
    "malformed": "文件结构损坏",
    "no_signature": "文件没有电子签章",
    "unsupported": "签章格式不受支持",
    "modified": "签章后文件内容被修改",
    "invalid": "签章数据无效",
    "untrusted": "签章证书不是本系统签发的",
    "not_whole_document": "签章后文件被追加了内容",
    "not_checked": "未检查",
}
_QR_PROBLEMS = {
    "no_qr": "第一页上未找到二维码",
    "unreadable": "无法读取文件页面",
    "several_qr": "第一页上有多个不同的二维码",
    "not_official": "二维码内容不是本系统的核验网址",
}


@dataclass(frozen=True)
class _Row:
    label: str
    value: str
    css: str = ""


def _yes_no(flag: bool, yes: str = "是", no: str = "否") -> _Row:
    return _Row("", yes if flag else no, "ok" if flag else "bad")


def _labelled(label: str, row: _Row) -> _Row:
    return _Row(label, row.value, row.css)


def _seal_rows(verdict: DocumentVerdict) -> list[_Row]:
    report = verdict.signature
    if report.ok:
        status = _Row("签章核验", "通过", "ok")
    else:
        status = _Row(
            "签章核验", "未通过：" + _SEAL_PROBLEMS.get(report.problem or "", "签章无效"), "bad"
        )
    rows = [status]
    if report.present:
        rows += [
            _labelled("文件完整", _yes_no(report.intact and report.covers_whole_document)),
            _labelled("签章可信", _yes_no(report.trusted)),
            _Row("签章机关", report.signer_name or "—"),
            _Row("机关代码", report.authority_code or "—"),
            _Row("签章时间", cn_datetime(report.signed_at) or "—"),
            _labelled("可信时间戳", _yes_no(report.timestamped, "有", "无")),
        ]
    return rows


def _qr_rows(verdict: DocumentVerdict) -> list[_Row]:
    if verdict.qr_problem is not None:
        return [_Row("二维码", _QR_PROBLEMS.get(verdict.qr_problem, "无法识别"), "bad")]
    outcome = verdict.outcome
    rows = [_Row("二维码", "已识别", "ok")]
    if outcome is None:
        return rows
    if outcome.state is VerificationState.UNVERIFIABLE:
        rows.append(_Row("签名核验", "未通过：二维码无效或证书不存在", "bad"))
        return rows
    if outcome.state is VerificationState.KEY_REVOKED:
        rows.append(_Row("签名核验", "未通过：签名密钥已停用，请持证人重新获取证书", "bad"))
        return rows
    rows.append(_Row("签名核验", "通过", "ok"))
    if verdict.authority_matches is not None:
        rows.append(
            _labelled(
                "机关核对",
                _yes_no(
                    verdict.authority_matches, "签章机关与发证机关一致", "签章机关与发证机关不一致"
                ),
            )
        )
    return rows


def _banner(verdict: DocumentVerdict) -> tuple[str, str, str]:
    first = verdict.findings[0] if verdict.findings else None
    return _BANNERS.get(first, _UNSURE_BANNER)


def render_document_form(*, message: str | None = None) -> str:
    """The upload form, with a refusal message when there is one."""
    return (
        _env()
        .get_template("document.html")
        .render(**_base_context(), message=message, verdict=None)
    )


def render_document_verdict(verdict: DocumentVerdict) -> str:
    """The result: the conclusion on top, then 文件签章, 证书二维码 and 当前状态."""
    css, icon, word = _banner(verdict)
    outcome = verdict.outcome
    cert = outcome.certificate if outcome is not None else None
    return (
        _env()
        .get_template("document.html")
        .render(
            **_base_context(),
            message=None,
            verdict=verdict,
            state=css,
            icon=icon,
            word=word,
            seal_rows=_seal_rows(verdict),
            qr_rows=_qr_rows(verdict),
            o=outcome,
            cert_html=_certificate_html(cert) if cert is not None else None,
            checked=cn_datetime(verdict.checked_at),
        )
    )


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def document_json(verdict: DocumentVerdict) -> dict[str, Any]:
    """The same verdict for machines (``Accept: application/json``)."""
    report = verdict.signature
    return {
        "genuineAndCurrent": verdict.genuine_and_current,
        "conclusion": {"code": verdict.conclusion_code, "message": verdict.conclusion},
        "findings": [{"code": f.value, "message": f.label} for f in verdict.findings],
        "signature": {
            "ok": report.ok,
            "present": report.present,
            "intact": report.intact,
            "valid": report.valid,
            "trusted": report.trusted,
            "coversWholeDocument": report.covers_whole_document,
            "timestamped": report.timestamped,
            "signerName": report.signer_name,
            "authorityCode": report.authority_code,
            "signedAt": _iso(report.signed_at),
            "problem": report.problem,
        },
        "qr": {
            "found": verdict.qr_text is not None,
            "url": verdict.qr_text,
            "problem": verdict.qr_problem,
        },
        "authorityMatches": verdict.authority_matches,
        "verification": to_json(verdict.outcome) if verdict.outcome is not None else None,
        "checkedAt": _iso(verdict.checked_at),
        "size": verdict.size,
    }
