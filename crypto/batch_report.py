"""Signed batch-check reports: one employer's batch of certificate checks, signed as a whole.

The report travels as a compact JWS (RFC 7515) signed with EdDSA / Ed25519 by one of the keys
of the JWK Set (the key that signs certificates at that moment), header
``{"alg": "EdDSA", "kid": KID, "typ": "ecert-batch-report+jwt"}``, payload one JSON object:
who asked (``employer``), when (``submittedAt``, ``iat``), for which day (``asOf``) and every
line with its state. The report states what the register said at ``iat``; it has no expiry,
but the signing key's window must cover ``iat`` (a key revoked from before ``iat`` makes the
report worthless). ``docs/verification-format.md`` §15 is the normative description.

Pure functions: no database, no clock (``iat`` is passed in).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto._util import epoch_seconds, from_epoch_seconds
from crypto.errors import CryptoError
from crypto.jws import (
    JWSError,
    parse_compact,
    sign_compact,
    unverified_payload,
    verified_by_key_set,
)
from crypto.keys import PublicKeyInfo, kid_for, public_key_bytes

__all__ = [
    "REPORT_TYP",
    "BatchReport",
    "BatchReportError",
    "BatchReportReason",
    "read_report_payload",
    "sign_batch_report",
    "verify_batch_report",
]

REPORT_TYP = "ecert-batch-report+jwt"
#: 5,000 lines of about 300 characters, base64url-encoded, with room to spare.
MAX_JWS_CHARS = 16 * 1024 * 1024
_PAYLOAD_MEMBERS = frozenset(
    {"iss", "iat", "batchId", "employer", "submittedAt", "asOf", "lineCount", "summary", "lines"}
)
_LINE_KINDS = frozenset({"number", "qr"})
_STATE = re.compile(r"[A-Z][A-Z_]{1,31}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BatchReportReason(enum.Enum):
    """Why a report was refused (for logs and the CLI's message)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_WINDOW = "key_window"


class BatchReportError(CryptoError):
    """A batch report is not usable; ``reason`` says why."""

    def __init__(self, reason: BatchReportReason) -> None:
        super().__init__(f"batch report refused: {reason.value}")
        self.reason = reason


@dataclass(frozen=True)
class BatchReport:
    """A verified report: its signer and its payload (``lines`` as in the document)."""

    kid: str
    issuer: str
    issued_at: datetime
    batch_id: str
    organisation_name: str
    credit_code: str
    submitted_at: datetime
    as_of: date | None
    summary: dict[str, int]
    lines: list[dict[str, Any]]


def sign_batch_report(
    *,
    issuer: str,
    batch_id: str,
    organisation_name: str,
    credit_code: str,
    submitted_at: datetime,
    as_of: date | None,
    lines: Sequence[Mapping[str, Any]],
    issued_at: datetime,
    private_key: Ed25519PrivateKey,
    kid: str,
) -> str:
    """The compact JWS of a finished batch (``issuer``: the verification origin, lower case).

    Each line is a mapping with ``n`` (the submitted line number), ``kind`` (``number`` or
    ``qr``), ``input`` (the echo), ``state``/``stateLabel`` and, when a certificate was
    found, ``certId``/``version``; with an ``asOf`` day also ``asOfState``/``asOfLabel``.
    """
    if kid_for(public_key_bytes(private_key)) != kid:
        raise ValueError("kid does not belong to the private key")
    summary: dict[str, int] = {}
    for line in lines:
        summary[line["state"]] = summary.get(line["state"], 0) + 1
    payload = {
        "iss": issuer,
        "iat": epoch_seconds(issued_at),
        "batchId": batch_id,
        "employer": {"name": organisation_name, "creditCode": credit_code},
        "submittedAt": epoch_seconds(submitted_at),
        "asOf": as_of.isoformat() if as_of else None,
        "lineCount": len(lines),
        "summary": dict(sorted(summary.items())),
        "lines": [dict(line) for line in lines],
    }
    return sign_compact(typ=REPORT_TYP, kid=kid, payload=payload, private_key=private_key)


def read_report_payload(jws: str) -> dict[str, Any]:
    """The payload of a report this service signed and stored (no signature check: for
    rendering its own stored reports, never for a report received from elsewhere)."""
    try:
        payload = unverified_payload(jws, max_chars=MAX_JWS_CHARS)
    except JWSError:
        raise BatchReportError(BatchReportReason.MALFORMED) from None
    if not isinstance(payload, dict):
        raise BatchReportError(BatchReportReason.MALFORMED)
    return payload


def _check_line(line: Any, previous: int, as_of: bool) -> int:
    if not isinstance(line, dict):
        raise BatchReportError(BatchReportReason.MALFORMED)
    n = line.get("n")
    state = line.get("state")
    if (
        type(n) is not int
        or n <= previous
        or line.get("kind") not in _LINE_KINDS
        or not isinstance(line.get("input"), dict)
        or not isinstance(state, str)
        or not _STATE.fullmatch(state)
        or not isinstance(line.get("stateLabel"), str)
        or ("asOfState" in line) != as_of
    ):
        raise BatchReportError(BatchReportReason.MALFORMED)
    return n


def _payload(payload: Any) -> BatchReport:
    """The payload's members checked (shape only; the signature was checked before)."""
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_MEMBERS:
        raise BatchReportError(BatchReportReason.MALFORMED)
    employer, lines, summary = payload["employer"], payload["lines"], payload["summary"]
    iat, submitted, as_of = payload["iat"], payload["submittedAt"], payload["asOf"]
    if (
        not isinstance(payload["iss"], str)
        or type(iat) is not int
        or type(submitted) is not int
        or not isinstance(payload["batchId"], str)
        or not isinstance(employer, dict)
        or not isinstance(employer.get("name"), str)
        or not isinstance(employer.get("creditCode"), str)
        or not isinstance(lines, list)
        or payload["lineCount"] != len(lines)
        or not isinstance(summary, dict)
        or (as_of is not None and not isinstance(as_of, str))
    ):
        raise BatchReportError(BatchReportReason.MALFORMED)
    try:
        day = date.fromisoformat(as_of) if as_of is not None else None
    except ValueError:
        raise BatchReportError(BatchReportReason.MALFORMED) from None
    previous = 0
    counted: dict[str, int] = {}
    for line in lines:
        previous = _check_line(line, previous, day is not None)
        counted[line["state"]] = counted.get(line["state"], 0) + 1
    if counted != summary:
        raise BatchReportError(BatchReportReason.MALFORMED)
    return BatchReport(
        kid="",
        issuer=payload["iss"],
        issued_at=from_epoch_seconds(iat),
        batch_id=payload["batchId"],
        organisation_name=employer["name"],
        credit_code=employer["creditCode"],
        submitted_at=from_epoch_seconds(submitted),
        as_of=day,
        summary=counted,
        lines=lines,
    )


def verify_batch_report(jws: str, keys: Iterable[PublicKeyInfo]) -> BatchReport:
    """Check a report JWS: structure, key, signature, then the key's window at ``iat`` and
    the payload's shape (line numbers increasing, ``lineCount`` and ``summary`` matching
    the lines). Raises BatchReportError with the reason."""
    try:
        token = parse_compact(jws, typ=REPORT_TYP, max_chars=MAX_JWS_CHARS)
        candidates, payload = verified_by_key_set(token, keys)
    except JWSError as exc:
        raise BatchReportError(BatchReportReason(exc.fault.value)) from None
    report = _payload(payload)
    if not all(k.window.covers(report.issued_at) for k in candidates):
        raise BatchReportError(BatchReportReason.KEY_WINDOW)
    return BatchReport(**{**report.__dict__, "kid": token.kid})
