"""Whether a registration's certificate will fit its QR code, checked where values enter.

The signed payload carries the holder's name and the free-text fields (评审机构, a local
specialty under 其他, a paper certificate number), so a registration the form accepted could
need a QR code too dense to scan. Approval must never be where that is found: every step, the
submission and every loaded row are checked against the same budget approval uses — the
largest QR version the issuer makes (``crypto.qr.MAX_QR_VERSION``) under the longest origin a
deployment may have (``crypto.qr.MAX_BASE_URL_LENGTH``), with the values not known yet taken at
their largest encoded size (the status-list entry of claims format 2 included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from crypto.canonical import (
    FORMAT_VERSION_STATUS,
    LEVELS,
    MAX_STATUS_LIST_ID,
    STATUS_LIST_ENTRIES,
    CertificateClaims,
    StatusIndex,
)
from crypto.qr import MAX_BASE_URL_LENGTH, MAX_QR_VERSION, qr_version_for_length
from crypto.qr import verification_url_length as _url_length
from schema.errors import Problem
from schema.reference.catalog import Catalog

__all__ = ["QR_TOO_LONG", "qr_fit_problem", "qr_overflow"]

QR_TOO_LONG = "CONTENT_TOO_LONG_FOR_QR"

# The free-text fields a person can shorten, longest first blamed; form field names.
_SHORTENABLE: tuple[tuple[str, str, str], ...] = (
    ("reviewBody", "review_body", "评审机构"),
    ("localSpecialty", "local_specialty", "专业"),
    ("certificateNumber", "certificate_number", "证书编号"),
)
_PLACEHOLDER_CERT_ID = "A" * 26
_SYSTEM_NUMBER_LENGTH = 15  # {YYYY}50{L}{NNNNNNN}{C}
# Largest encodings of what is only known at issue time: a uint16 day count, a uint32 second
# count (both until 2106) and a version number far beyond any correction history.
_PLACEHOLDER_DAY = date(2099, 12, 31)
_PLACEHOLDER_SIGNED_AT = datetime(2105, 12, 31, tzinfo=UTC)
_PLACEHOLDER_VERSION = 65535
# New certificates (claims format 2) carry a status-list entry: counted at its largest.
_PLACEHOLDER_STATUS = StatusIndex(list_id=MAX_STATUS_LIST_ID, index=STATUS_LIST_ENTRIES - 1)


@cache
def _capacity() -> int:
    """Alphanumeric characters the largest allowed QR code holds; worked out at the first
    check (from segno's tables, which the web app otherwise does not load at start-up)."""
    length = 0
    while (qr_version_for_length(length + 1) or MAX_QR_VERSION + 1) <= MAX_QR_VERSION:
        length += 1
    return length


def _text(values: Mapping[str, Any], column: str) -> str:
    value = values.get(column)
    return value if isinstance(value, str) else ""


def _specialty(values: Mapping[str, Any], catalog: Catalog) -> str:
    """What the certificate shows (as ``review.specialty_text``): the local specialty under
    其他, else the list's name."""
    local = _text(values, "local_specialty")
    series = _text(values, "series_code") or None
    return local or catalog.specialty_name(series, _text(values, "specialty")) or ""


def qr_overflow(
    values: Mapping[str, Any], *, holder_name: str, holder_id_masked: str, catalog: Catalog
) -> int:
    """Verification-URL characters beyond what the largest allowed QR code holds (0: fits).

    ``values`` are the registration's columns (``schema.registration_form.FIELD_COLUMNS``);
    missing ones count at their largest encoding, or as empty where the person types them.
    """
    number = _text(values, "certificate_number") or "9" * _SYSTEM_NUMBER_LENGTH
    claims = CertificateClaims(
        cert_id=_PLACEHOLDER_CERT_ID,
        version=_PLACEHOLDER_VERSION,
        holder_name=holder_name or "?",
        holder_id_masked=holder_id_masked,
        level=_text(values, "level") if _text(values, "level") in LEVELS else "ZHONG",
        series_code=_text(values, "series_code"),
        title_name=_text(values, "title_name") or "?",
        specialty=_specialty(values, catalog),
        authority_code=_text(values, "authority_code") or "?",
        review_body=_text(values, "review_body"),
        obtained_on=_PLACEHOLDER_DAY,
        issued_on=_PLACEHOLDER_DAY,
        number=number,
        provenance="OTHER_SYSTEM",
        signed_at=_PLACEHOLDER_SIGNED_AT,
        format_version=FORMAT_VERSION_STATUS,
        status_index=_PLACEHOLDER_STATUS,
    )
    return max(0, _url_length(MAX_BASE_URL_LENGTH, claims) - _capacity())


def qr_fit_problem(
    values: Mapping[str, Any],
    *,
    holder_name: str,
    holder_id_masked: str,
    catalog: Catalog,
    fields: Sequence[str] = (),
) -> Problem | None:
    """The refusal (``CONTENT_TOO_LONG_FOR_QR``) when the certificate would not fit, on the
    longest shortenable field among ``fields`` (the ones being entered), else overall."""
    excess = qr_overflow(
        values, holder_name=holder_name, holder_id_masked=holder_id_masked, catalog=catalog
    )
    if not excess:
        return None
    # One Chinese character is 3 UTF-8 bytes, 4.8 base32 characters in the URL.
    chars = -(-excess * 5 // 24)
    candidates = [
        (len(_text(values, column)), field, label)
        for field, column, label in _SHORTENABLE
        if _text(values, column) and (not fields or field in fields)
    ]
    if candidates:
        _, field, label = max(candidates)
        what = f"请精简“{label}”的写法"
    else:
        field, what = None, "请精简评审机构或专业的写法"
    return Problem(
        QR_TOO_LONG,
        f"证书信息过长，生成的二维码将过于密集而无法扫描：{what}（约需减少{chars}个字）",
        field,
    )
