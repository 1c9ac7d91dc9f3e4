"""Approval document number (批准文号, the red-header document number).

Canonical form per GB/T 9704-2012 §7.2.5: ``{发文机关代字}〔{4-digit year}〕{sequence}号``, e.g.
``渝北职改办〔2022〕20号``: full year inside 六角括号 〔〕 (U+3014/U+3015), no 第, no leading
zeros, ending with 号. People type many variants — ``[2022]``, ``（2022）``, ``【2022】``,
``﹝2022﹞``, ``〈2022〉``, ``2022年``, full-width digits, spaces, ``第20号``, ``020号``, no 号 —
and all of them map to the canonical form. Both the raw and the canonical text are kept; search
and de-duplication use the canonical one. One document covers many people, so it is not unique
per certificate.

The issuer code itself is never rewritten (渝北区职改办 stays as typed); when the catalog knows a
near spelling, ``approval_document_warnings`` suggests it instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from schema.rules.errors import RuleCode, RuleViolation, RuleWarning
from schema.rules.text import compact, is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Catalog

_FIELD = "approvalDocument"
EXAMPLE = "渝北职改办〔2022〕20号"
FIRST_YEAR = 1978  # titles (职称) were restored in 1978; no approval predates it

# After NFKC: ［］→[], （）→(), ﹝﹞→〔〕, ＜＞→<>, ｛｝→{}; the rest are listed as they are.
_OPEN = "〔\\[(【〈<{「『〖"
_CLOSE = "〕\\])】〉>}」』〗"
_PATTERN = re.compile(
    rf"^(?P<issuer>[^\d]+?)[{_OPEN}]?"
    # A 2-digit year is captured only when something other than a digit follows, so that
    # "…202220号" (no brackets) still splits as 2022 / 20.
    rf"(?P<year>\d{{4}}|\d{{2}}(?!\d))年?[{_CLOSE}]?"
    r"第?(?P<sequence>\d{1,5})号?$"
)
_ISSUER = re.compile(r"^[\u3400-\u9fffA-Za-z]+$")
_ORDER = re.compile(r"^[^\d]*令第?\d+号?$")


@dataclass(frozen=True, slots=True)
class ApprovalDocument:
    """A parsed approval document number."""

    raw: str
    normalized: str
    issuer: str
    year: int
    sequence: int


def normalize_approval_document(raw: str | None, *, today: date | None = None) -> ApprovalDocument:
    """Parse a document number in any common spelling and return it with its canonical form.

    Raises ``RuleViolation`` (field ``approvalDocument``): APPROVAL_DOCUMENT_REQUIRED when empty,
    APPROVAL_DOCUMENT_YEAR for a 2-digit year or a year outside 1978..today, and
    APPROVAL_DOCUMENT_FORMAT for anything else that does not parse, including ministerial orders
    (人社部令第40号), which carry no year and are not title approvals.
    """
    if raw is None or is_blank(raw):
        raise RuleViolation(
            RuleCode.APPROVAL_DOCUMENT_REQUIRED,
            f"请填写批准文号（批准文件的红头文件号），如{EXAMPLE}",
            _FIELD,
        )
    text = compact(raw)
    if _ORDER.match(text):
        raise RuleViolation(
            RuleCode.APPROVAL_DOCUMENT_FORMAT,
            f"部门规章令（如人社部令第40号）不是职称批准文件，请填写批准职称的红头文件号，如{EXAMPLE}",
            _FIELD,
        )
    match = _PATTERN.match(text)
    if match is None or not _ISSUER.match(match["issuer"]) or int(match["sequence"]) == 0:
        raise RuleViolation(
            RuleCode.APPROVAL_DOCUMENT_FORMAT,
            f"批准文号应写作“发文机关代字〔四位年份〕序号号”，如{EXAMPLE}",
            _FIELD,
        )
    year_text = match["year"]
    if len(year_text) == 2:
        raise RuleViolation(
            RuleCode.APPROVAL_DOCUMENT_YEAR,
            f"批准文号中的年份应写全四位，如{EXAMPLE}（而不是〔22〕）",
            _FIELD,
        )
    year = int(year_text)
    last_year = (today or date.today()).year
    if not FIRST_YEAR <= year <= last_year:
        raise RuleViolation(
            RuleCode.APPROVAL_DOCUMENT_YEAR,
            f"批准文号中的年份应在{FIRST_YEAR}年至{last_year}年之间",
            _FIELD,
        )
    issuer, sequence = match["issuer"], int(match["sequence"])
    return ApprovalDocument(
        raw=raw,
        normalized=f"{issuer}〔{year}〕{sequence}号",
        issuer=issuer,
        year=year,
        sequence=sequence,
    )


def approval_document_warnings(
    doc: ApprovalDocument, issued_on: date | None, *, catalog: Catalog | None = None
) -> list[RuleWarning]:
    """Non-fatal findings about a parsed document number.

    APPROVAL_DOCUMENT_YEAR_MISMATCH when its year differs from the issue date's year (the
    document is what was issued, so they normally agree; 取得 may be a year earlier, as in the
    Yubei batch). With a catalog, APPROVAL_DOCUMENT_ISSUER_SUGGESTION when the issuer code is not
    a known one but a known code differs only by 区/县/市 (渝北区职改办 → 渝北职改办).
    """
    warnings: list[RuleWarning] = []
    if issued_on is not None and doc.year != issued_on.year:
        warnings.append(
            RuleWarning(
                RuleCode.APPROVAL_DOCUMENT_YEAR_MISMATCH,
                f"批准文号年份（{doc.year}）与发证时间年份（{issued_on.year}）不一致；"
                "发证时间应为批准文件的印发时间，请核对",
                _FIELD,
            )
        )
    if catalog is not None:
        suggestion = _issuer_suggestion(doc.issuer, catalog.document_issuers)
        if suggestion is not None:
            warnings.append(
                RuleWarning(
                    RuleCode.APPROVAL_DOCUMENT_ISSUER_SUGGESTION,
                    f"发文机关代字“{doc.issuer}”与已知的“{suggestion}”不同，请按批准文件核对，"
                    f"如应为{suggestion}〔{doc.year}〕{doc.sequence}号",
                    _FIELD,
                )
            )
    return warnings


def _issuer_suggestion(issuer: str, known: frozenset[str]) -> str | None:
    if issuer in known:
        return None
    loose = _loose(issuer)
    candidates = sorted(k for k in known if _loose(k) == loose)
    return candidates[0] if candidates else None


def _loose(issuer: str) -> str:
    # The usual slip is adding or dropping the administrative suffix of the place name.
    return issuer.translate(str.maketrans("", "", "区县市"))
