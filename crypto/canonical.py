"""The signed payload: certificate claims and their deterministic CBOR form.

The claims are a CBOR map with small integer keys, encoded with RFC 8949
§4.2.1 core deterministic encoding (cbor2 ``canonical=True``).  Key table
(format_version 1) -- ``docs/verification-format.md`` is the normative copy:

====  ================  ======================================================
key   field             CBOR type
====  ================  ======================================================
1     format_version    uint, must be 1
2     cert_id           bstr, 16 bytes (the 26-char base32 id, decoded)
3     version           uint (0 .. 2**32-1)
4     holder_name       tstr
5     holder_id_masked  tstr
6     level             uint: 1 ZHENG_GAO, 2 FU_GAO, 3 ZHONG, 4 ZHULI, 5 YUAN
7     series_code       tstr
8     title_name        tstr
9     specialty         tstr
10    authority_code    tstr
11    review_body       tstr
12    obtained_on       int, days since 1970-01-01 (RFC 8943 style, untagged)
13    issued_on         int, days since 1970-01-01
14    number            tstr
15    provenance        uint: 1 PAPER, 2 OTHER_SYSTEM, 3 NATIVE
16    signed_at         uint, seconds since the Unix epoch (UTC)
17    status_index      format_version 2 only, optional: [list_id, index], two
                        uints (list_id <= 65535, index < 131072), the entry of
                        this version in the signed status list (``crypto.status_list``)
====  ================  ======================================================

format_version 1 has exactly keys 1..16 and is still verified; new certificates are
issued as format_version 2, which may add key 17.

Integers for dates, levels and provenance keep the QR symbol small: every
payload byte costs 1.6 base32 characters in the URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import cbor2

from crypto._util import (
    b32decode_nopad,
    b32encode_nopad,
    decode_cbor_strict,
    epoch_seconds,
    from_epoch_seconds,
    require_utc,
)
from crypto.errors import ClaimsError, UnsupportedFormatError

__all__ = [
    "CERT_ID_BYTES",
    "FORMAT_VERSION",
    "LEVELS",
    "PROVENANCES",
    "STATUS_LIST_ENTRIES",
    "CertificateClaims",
    "StatusIndex",
    "decode_claims",
    "encode_claims",
    "new_cert_id",
]

FORMAT_VERSION = 1
#: The format that carries an optional status-list entry (key 17).
FORMAT_VERSION_STATUS = 2
_FORMAT_VERSIONS = frozenset({FORMAT_VERSION, FORMAT_VERSION_STATUS})
#: Entries in one status list (W3C Bitstring Status List: at least 131,072).
STATUS_LIST_ENTRIES = 131_072
#: Largest status list id; bounds the claims' size (the QR budget counts on it).
MAX_STATUS_LIST_ID = 65_535
CERT_ID_BYTES = 16  # 128 random bits -> 26 base32 characters

# Code -> wire value.  Append only: wire values are frozen once issued.
LEVELS: dict[str, int] = {"ZHENG_GAO": 1, "FU_GAO": 2, "ZHONG": 3, "ZHULI": 4, "YUAN": 5}
PROVENANCES: dict[str, int] = {"PAPER": 1, "OTHER_SYSTEM": 2, "NATIVE": 3}
_LEVEL_CODES = {v: k for k, v in LEVELS.items()}
_PROVENANCE_CODES = {v: k for k, v in PROVENANCES.items()}

_MAX_UINT32 = 2**32 - 1
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# CBOR map keys (format_version 1).
K_FORMAT_VERSION = 1
#: The format that carries an optional status-list entry (key 17).
FORMAT_VERSION_STATUS = 2
_FORMAT_VERSIONS = frozenset({FORMAT_VERSION, FORMAT_VERSION_STATUS})
#: Entries in one status list (W3C Bitstring Status List: at least 131,072).
STATUS_LIST_ENTRIES = 131_072
#: Largest status list id; bounds the claims' size (the QR budget counts on it).
MAX_STATUS_LIST_ID = 65_535
K_CERT_ID = 2
K_VERSION = 3
K_HOLDER_NAME = 4
K_HOLDER_ID_MASKED = 5
K_LEVEL = 6
K_SERIES_CODE = 7
K_TITLE_NAME = 8
K_SPECIALTY = 9
K_AUTHORITY_CODE = 10
K_REVIEW_BODY = 11
K_OBTAINED_ON = 12
K_ISSUED_ON = 13
K_NUMBER = 14
K_PROVENANCE = 15
K_SIGNED_AT = 16
K_STATUS_INDEX = 17

# Text fields: (key, attribute).  Checked and encoded uniformly.
_TEXT_FIELDS: tuple[tuple[int, str], ...] = (
    (K_HOLDER_NAME, "holder_name"),
    (K_HOLDER_ID_MASKED, "holder_id_masked"),
    (K_SERIES_CODE, "series_code"),
    (K_TITLE_NAME, "title_name"),
    (K_SPECIALTY, "specialty"),
    (K_AUTHORITY_CODE, "authority_code"),
    (K_REVIEW_BODY, "review_body"),
    (K_NUMBER, "number"),
)
# Fields a certificate is meaningless without.
_NON_EMPTY = frozenset({"holder_name", "title_name", "number", "authority_code"})
_ALL_KEYS = frozenset(range(K_FORMAT_VERSION, K_SIGNED_AT + 1))
_ALL_KEYS_WITH_STATUS = _ALL_KEYS | {K_STATUS_INDEX}

# Generous cap: the QR symbol limits real payloads to a few hundred bytes.
MAX_ENCODED_CLAIMS = 2048


def new_cert_id(rand: Callable[[int], bytes] = os.urandom) -> str:
    """A fresh opaque certificate id: 128 random bits, base32 upper, 26 chars."""
    raw = rand(CERT_ID_BYTES)
    if len(raw) != CERT_ID_BYTES:
        raise ValueError("rand must return the requested number of bytes")
    return b32encode_nopad(raw)


def _cert_id_bytes(cert_id: str) -> bytes:
    try:
        raw = b32decode_nopad(cert_id)
    except ValueError:
        raw = b""
    if len(raw) != CERT_ID_BYTES:
        raise ValueError("cert_id must be 26 upper-case base32 characters (128 bits)")
    return raw


@dataclass(frozen=True, order=True)
class StatusIndex:
    """Where a certificate version's status is published: entry ``index`` of status list
    ``list_id`` (``{BASE}/status/{list_id}``).  Drawn at random, never reused."""

    list_id: int
    index: int

    def __post_init__(self) -> None:
        if type(self.list_id) is not int or not 0 <= self.list_id <= MAX_STATUS_LIST_ID:
            raise ValueError(f"status list id must be an int in 0 .. {MAX_STATUS_LIST_ID}")
        if type(self.index) is not int or not 0 <= self.index < STATUS_LIST_ENTRIES:
            raise ValueError(f"status index must be an int in 0 .. {STATUS_LIST_ENTRIES - 1}")


@dataclass(frozen=True)
class CertificateClaims:
    """Everything the signature vouches for.  Validated on construction.

    ``signed_at`` must be timezone-aware with whole seconds; it is normalised
    to UTC.  ``level`` is a key of :data:`LEVELS`, ``provenance`` a key of
    :data:`PROVENANCES`.
    """

    cert_id: str
    version: int
    holder_name: str
    holder_id_masked: str
    level: str
    series_code: str
    title_name: str
    specialty: str
    authority_code: str
    review_body: str
    obtained_on: date
    issued_on: date
    number: str
    provenance: str
    signed_at: datetime
    format_version: int = FORMAT_VERSION
    status_index: StatusIndex | None = None

    def __post_init__(self) -> None:
        if type(self.format_version) is not int or self.format_version not in _FORMAT_VERSIONS:
            raise UnsupportedFormatError(f"unsupported format_version {self.format_version!r}")
        if self.status_index is not None:
            if self.format_version < FORMAT_VERSION_STATUS:
                raise ValueError("status_index needs format_version 2")
            if not isinstance(self.status_index, StatusIndex):
                raise TypeError("status_index must be a StatusIndex")
        if not isinstance(self.cert_id, str):
            raise TypeError("cert_id must be str")
        _cert_id_bytes(self.cert_id)
        if type(self.version) is not int or not 0 <= self.version <= _MAX_UINT32:
            raise ValueError("version must be an int in 0 .. 2**32-1")
        for _, name in _TEXT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be str")
            if name in _NON_EMPTY and not value:
                raise ValueError(f"{name} must not be empty")
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {sorted(LEVELS)}")
        if self.provenance not in PROVENANCES:
            raise ValueError(f"provenance must be one of {sorted(PROVENANCES)}")
        for name in ("obtained_on", "issued_on"):
            # datetime is a date subclass; accepting one would silently drop the time.
            if type(getattr(self, name)) is not date:
                raise TypeError(f"{name} must be a date")
        signed_at = require_utc(self.signed_at, "signed_at")
        if signed_at.microsecond:
            raise ValueError("signed_at must be whole seconds")
        if epoch_seconds(signed_at) < 0:
            raise ValueError("signed_at must not precede 1970")
        object.__setattr__(self, "signed_at", signed_at)


def _days(value: date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def _to_map(claims: CertificateClaims) -> dict[int, Any]:
    result: dict[int, Any] = {
        K_FORMAT_VERSION: claims.format_version,
        K_CERT_ID: _cert_id_bytes(claims.cert_id),
        K_VERSION: claims.version,
        K_LEVEL: LEVELS[claims.level],
        K_OBTAINED_ON: _days(claims.obtained_on),
        K_ISSUED_ON: _days(claims.issued_on),
        K_PROVENANCE: PROVENANCES[claims.provenance],
        K_SIGNED_AT: epoch_seconds(claims.signed_at),
    }
    for key, name in _TEXT_FIELDS:
        result[key] = getattr(claims, name)
    if claims.status_index is not None:
        result[K_STATUS_INDEX] = [claims.status_index.list_id, claims.status_index.index]
    return result


def encode_claims(claims: CertificateClaims) -> bytes:
    """Deterministic CBOR encoding of ``claims`` (same claims -> same bytes)."""
    return cbor2.dumps(_to_map(claims), canonical=True)


def _get(fields: dict[Any, Any], key: int, kind: type) -> Any:
    value = fields[key]
    # Exact type: bool is an int subclass and must not pass as one.
    if type(value) is not kind:
        raise ClaimsError(f"claims key {key} has the wrong type")
    return value


def _date(fields: dict[Any, Any], key: int) -> date:
    try:
        return date.fromordinal(_get(fields, key, int) + _EPOCH_ORDINAL)
    except (ValueError, OverflowError):
        raise ClaimsError(f"claims key {key} is out of range") from None


def _code(fields: dict[Any, Any], key: int, table: dict[int, str]) -> str:
    try:
        return table[_get(fields, key, int)]
    except KeyError:
        raise ClaimsError(f"claims key {key} has an unknown value") from None


def _status_index(fields: dict[Any, Any]) -> StatusIndex:
    value = fields[K_STATUS_INDEX]
    if not isinstance(value, list) or len(value) != 2 or any(type(v) is not int for v in value):
        raise ClaimsError(f"claims key {K_STATUS_INDEX} must be [list_id, index]")
    try:
        return StatusIndex(list_id=value[0], index=value[1])
    except ValueError:
        raise ClaimsError(f"claims key {K_STATUS_INDEX} is out of range") from None


def decode_claims(data: bytes) -> CertificateClaims:
    """Strictly decode bytes produced by :func:`encode_claims`.

    Raises UnsupportedFormatError for an unknown ``format_version`` and
    ClaimsError for anything else: not a map, missing or extra keys, wrong
    types, out-of-range values, or an encoding that is not the canonical one.
    """
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_ENCODED_CLAIMS:
        raise ClaimsError("claims must be bytes of reasonable size")
    data = bytes(data)
    try:
        fields = decode_cbor_strict(data)
    except ValueError as exc:
        raise ClaimsError(str(exc)) from None
    if not isinstance(fields, dict):
        raise ClaimsError("claims must be a CBOR map")
    if K_FORMAT_VERSION not in fields:
        raise ClaimsError("claims lack format_version")
    format_version = fields[K_FORMAT_VERSION]
    if type(format_version) is not int or format_version not in _FORMAT_VERSIONS:
        raise UnsupportedFormatError("unsupported claims format_version")
    allowed = (
        (_ALL_KEYS,) if format_version == FORMAT_VERSION else (_ALL_KEYS, _ALL_KEYS_WITH_STATUS)
    )
    if frozenset(fields) not in allowed:
        raise ClaimsError(f"claims keys do not match format_version {format_version}")
    status_index = _status_index(fields) if K_STATUS_INDEX in fields else None
    cert_id = _get(fields, K_CERT_ID, bytes)
    signed_at = _get(fields, K_SIGNED_AT, int)
    try:
        claims = CertificateClaims(
            cert_id=b32encode_nopad(cert_id),
            version=_get(fields, K_VERSION, int),
            level=_code(fields, K_LEVEL, _LEVEL_CODES),
            obtained_on=_date(fields, K_OBTAINED_ON),
            issued_on=_date(fields, K_ISSUED_ON),
            provenance=_code(fields, K_PROVENANCE, _PROVENANCE_CODES),
            signed_at=from_epoch_seconds(signed_at),
            format_version=format_version,
            status_index=status_index,
            **{name: _get(fields, key, str) for key, name in _TEXT_FIELDS},
        )
    except ClaimsError:
        raise
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        raise ClaimsError(f"invalid claims: {exc}") from None
    # Re-encoding must reproduce the input byte for byte; this rejects every
    # non-deterministic encoding (unsorted keys, long-form integers, ...), so
    # one set of claims has exactly one valid payload.
    if encode_claims(claims) != data:
        raise ClaimsError("claims are not canonically encoded")
    return claims
