"""VerificationOutcome → what the page shows and what machines get as JSON.

One function per audience, both from the same outcome, so the page and the JSON can never
disagree. Rendering reads nothing but the outcome: no database, no QR generation.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from schema.enums import VerificationState
from schema.services.verification import PublicCertificate, VerificationOutcome

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = [
    "BEIJING",
    "STYLE_CSP_SOURCE",
    "outcome_page",
    "photo_path",
    "render_lookup",
    "render_outcome",
    "to_json",
]

BEIJING = timezone(timedelta(hours=8), "北京时间")
_HERE = Path(__file__).resolve().parent
_CSS = (_HERE / "static" / "verify.css").read_text(encoding="utf-8")
#: The one inline stylesheet, allowed by hash: no 'unsafe-inline', no second request.
STYLE_CSP_SOURCE = (
    "'sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode() + "'"
)

_NOTES = {
    VerificationState.VALID: "数字签名核验通过，证书信息与发证机关登记记录一致，当前有效。",
    VerificationState.SUPERSEDED: "数字签名核验通过，但该证书信息已更正，此版本已停止使用，请以更正后的证书为准。",
    VerificationState.REVOKED: "数字签名核验通过，但该证书已被审批机关撤销，不能作为有效的职称证明。",
    VerificationState.UNVERIFIABLE: "无法确认该证书的真实性：二维码可能已损坏、被篡改，或并非本系统签发。请勿以此作为职称证明。",
    VerificationState.KEY_REVOKED: "该二维码由发证机关签发，但其签名密钥已停用，此二维码不能再作为职称证明。证书已（或即将）使用新密钥重新签发，请持证人登录“我的证书”重新获取证书。",
}
_ICONS = {
    VerificationState.VALID: "✓",
    VerificationState.SUPERSEDED: "↻",
    VerificationState.REVOKED: "✕",
    VerificationState.UNVERIFIABLE: "?",
    VerificationState.KEY_REVOKED: "!",
}


def photo_path(cert_id: str) -> str:
    return f"/V/{cert_id}/photo"


def cn_date(value: date | None) -> str:
    """``2022年2月15日``; an instant is shown as its date in Beijing."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BEIJING).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(BEIJING)
    return f"{cn_date(local.date())} {local:%H:%M}（北京时间）"


@dataclass(frozen=True)
class _Row:
    label: str
    value: str
    mono: bool = False


def _rows(cert: PublicCertificate) -> list[_Row]:
    return [
        _Row("职称名称", cert.title_name),
        _Row("职称级别", cert.level_name),
        _Row("职称系列", cert.series_name),
        _Row("评审专业", cert.specialty),
        _Row("审批机关", cert.authority_name),
        _Row("评审机构", cert.review_body),
        _Row("取得时间", cn_date(cert.obtained_on)),
        _Row("发证时间", cn_date(cert.issued_on)),
        _Row("证书编号", cert.number, mono=True),
        _Row("证书来源", cert.provenance_label),
        _Row("证书版本", f"第{cert.version}版"),
    ]


@lru_cache(maxsize=1)
def _env() -> Environment:
    """The template environment, made at the first page rendered; jinja2 itself (about
    2 MiB) is imported then too, not with the web app, which JSON clients use alone."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn_date"] = cn_date
    env.filters["cn_datetime"] = cn_datetime
    return env


def _base_context() -> dict[str, Any]:
    # The stylesheet is our own file, inlined verbatim (its hash is in the CSP).
    return {"css": Markup(_CSS)}  # noqa: S704


@lru_cache(maxsize=2048)
def _certificate_html(cert: PublicCertificate) -> Markup:
    """The certificate's cards, the same in every state: rendered once per certificate
    version (the cache is keyed by the whole public view, so it cannot go stale)."""
    html = (
        _env()
        .get_template("_certificate.html")
        .render(
            cert=cert,
            rows=_rows(cert),
            photo=photo_path(cert.cert_id) if cert.has_photo else None,
        )
    )
    return Markup(html)  # noqa: S704  # rendered by our autoescaping template


def _render(outcome: VerificationOutcome, checked: str, *, css: str = _CSS) -> str:
    cert = outcome.certificate
    return (
        _env()
        .get_template("verify.html")
        .render(
            # The stylesheet is our own file, inlined verbatim (its hash is in the CSP).
            css=Markup(css),  # noqa: S704
            o=outcome,
            state=outcome.state.value.lower(),
            label=outcome.state.label,
            icon=_ICONS[outcome.state],
            note=_NOTES[outcome.state],
            cert=cert,
            cert_html=_certificate_html(cert) if cert else None,
            checked=checked,
        )
    )


def render_outcome(outcome: VerificationOutcome) -> str:
    """The status page: one big state at the top, the certificate's public fields below."""
    return _render(outcome, cn_datetime(outcome.checked_at))


# Stand for the checking time and the stylesheet while a page is rendered for the cache; the
# page is split at the stylesheet and at the last checking-time mark (the footer comes after
# every piece of certificate data).
_CHECKED_MARK = "\ue000checked-at\ue000"
_CSS_MARK = "\ue000stylesheet\ue000"
_CSS_BYTES = _CSS.encode("utf-8")
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)
# What precedes the stylesheet differs only by the state's title: one copy of each is kept.
_PAGE_STARTS: dict[bytes, bytes] = {}


def _page_start(start: bytes) -> bytes:
    kept = _PAGE_STARTS.get(start)
    if kept is not None:
        return kept
    if len(_PAGE_STARTS) < 64:  # a handful in practice (one per state); never unbounded
        _PAGE_STARTS[start] = start
    return start


@lru_cache(maxsize=2048)
def _page_parts(outcome: VerificationOutcome) -> tuple[bytes, bytes, bytes]:
    """The page as (what precedes the stylesheet, what follows it up to the checking time,
    the rest). The stylesheet, the same on every page and more than half of one, is not in
    the cached parts: the cache would otherwise hold a copy of it per verdict (2,048 of
    3.2 KB)."""
    page = _render(outcome, _CHECKED_MARK, css=_CSS_MARK)
    start, _, rest = page.partition(_CSS_MARK)
    head, _, tail = rest.rpartition(_CHECKED_MARK)
    return _page_start(start.encode("utf-8")), head.encode("utf-8"), tail.encode("utf-8")


def outcome_page(outcome: VerificationOutcome) -> bytes:
    """``render_outcome`` as UTF-8, rendered once per verdict: the cache key is the whole
    outcome but its checking time (state, dates, reason, newer version, certificate), so a
    change of state is a different page; only the stylesheet and the checking time are put
    in per request."""
    start, head, tail = _page_parts(replace(outcome, checked_at=_ANY_TIME))
    checked = cn_datetime(outcome.checked_at).encode("utf-8")
    return b"".join((start, _CSS_BYTES, head, checked, tail))


def render_lookup(*, message: str | None = None) -> str:
    """The lookup form (证书编号 + 持证人姓名), with a refusal message when there is one."""
    return _env().get_template("lookup.html").render(**_base_context(), message=message)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _code_name(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name}


@lru_cache(maxsize=2048)
def _certificate_json(cert: PublicCertificate) -> dict[str, Any]:
    """The certificate's part of the JSON answer, the same in every state (shared: never
    mutate the result)."""
    return {
        "certId": cert.cert_id,
        "version": cert.version,
        "number": cert.number,
        "holderName": cert.holder_name,
        "holderIdMasked": cert.holder_id_masked,
        "photoPath": photo_path(cert.cert_id) if cert.has_photo else None,
        "titleName": cert.title_name,
        "level": _code_name(cert.level_code, cert.level_name),
        "series": _code_name(cert.series_code, cert.series_name),
        "specialty": cert.specialty,
        "authority": _code_name(cert.authority_code, cert.authority_name),
        "reviewBody": cert.review_body,
        "obtainedOn": _iso(cert.obtained_on),
        "issuedOn": _iso(cert.issued_on),
        "provenance": _code_name(cert.provenance, cert.provenance_label),
        "signature": {
            # A certificate is only shown when its signature checked out.
            "verified": True,
            "kid": cert.kid,
            "signedAt": _iso(cert.signed_at),
        },
        "checkCode": cert.check_code,
    }


def _current_json(outcome: VerificationOutcome) -> dict[str, Any] | None:
    current = outcome.current_version
    if current is None:
        return None
    return {
        "certId": current.cert_id,
        "version": current.version,
        "verificationUrl": current.verification_url,
        "path": current.path,
    }


def to_json(outcome: VerificationOutcome) -> dict[str, Any]:
    """The same verdict for machines (``Accept: application/json``)."""
    cert = outcome.certificate
    body: dict[str, Any] = {
        "state": outcome.state.value,
        "stateLabel": outcome.state.label,
        "signatureVerified": outcome.signature_verified,
        "checkedAt": _iso(outcome.checked_at),
        "certificate": None if cert is None else _certificate_json(cert),
        "superseded": None,
        "revoked": None,
        "keyRevoked": None,
    }
    if outcome.state is VerificationState.SUPERSEDED:
        body["superseded"] = {
            "at": _iso(outcome.superseded_at),
            "currentVersion": _current_json(outcome),
        }
    if outcome.state is VerificationState.KEY_REVOKED:
        body["keyRevoked"] = {
            "reissuedAt": _iso(outcome.superseded_at),
            "currentVersion": _current_json(outcome),
        }
    if outcome.state is VerificationState.REVOKED:
        body["revoked"] = {
            "at": _iso(outcome.revoked_at),
            "reason": None
            if outcome.revocation_reason_code is None
            else _code_name(outcome.revocation_reason_code, outcome.revocation_reason_name or ""),
        }
    return body
