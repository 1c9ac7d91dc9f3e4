"""Signed status lists: the current state of every certificate version, for offline verifiers.

The model is W3C Bitstring Status List v1.0 with ``statusSize`` 2: each certificate version of
claims format 2 carries ``status_index = (list_id, index)`` (``crypto.canonical``), and entry
``index`` of list ``list_id`` holds its state: 0 valid, 1 revoked, 2 superseded.  The list has
:data:`~crypto.canonical.STATUS_LIST_ENTRIES` entries (2 bits each, entry 0 in the most
significant bits of the first byte), GZIP-compressed and written as multibase base64url
(``u`` + unpadded base64url), as the W3C ``encodedList``.

It travels as a compact JWS (RFC 7515) signed with EdDSA / Ed25519 by one of the keys of the
JWK Set, header ``{"alg": "EdDSA", "kid": KID, "typ": "ecert-status-list+jwt"}``, payload a
JSON object with ``iat``/``exp`` (epoch seconds: the list is only trusted before ``exp``).
``docs/verification-format.md`` §12 is the normative description.
"""

from __future__ import annotations

import enum
import gzip
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto._util import b64url_decode, b64url_encode, epoch_seconds, from_epoch_seconds
from crypto.canonical import MAX_STATUS_LIST_ID, STATUS_LIST_ENTRIES
from crypto.errors import CryptoError
from crypto.jws import JWSError, parse_compact, sign_compact, verified_by_key_set
from crypto.keys import PublicKeyInfo, kid_for, public_key_bytes

__all__ = [
    "STATUS_LIST_TYP",
    "STATUS_MESSAGES",
    "STATUS_SIZE",
    "EntryStatus",
    "StatusList",
    "StatusListError",
    "StatusListReason",
    "build_bitstring",
    "sign_status_list",
    "status_list_path",
    "verify_status_list",
]

STATUS_SIZE = 2
STATUS_LIST_TYP = "ecert-status-list+jwt"
_RAW_BYTES = STATUS_LIST_ENTRIES * STATUS_SIZE // 8
# A list of random 2-bit values compresses to about its raw size; anything larger is hostile.
MAX_JWS_CHARS = 4 * _RAW_BYTES
# A clock this far ahead of the verifier's still counts as "issued now".
_CLOCK_SKEW = timedelta(minutes=5)


class EntryStatus(enum.IntEnum):
    """The value of one 2-bit entry."""

    VALID = 0
    REVOKED = 1
    SUPERSEDED = 2


#: The meaning of each 2-bit value (W3C `statusMessage` / the list's `statusMessages`).
STATUS_MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "revoked"},
    {"status": "0x2", "message": "superseded"},
]


class StatusListReason(enum.Enum):
    """Why a status list was refused (for logs and the CLI's message)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_WINDOW = "key_window"
    EXPIRED = "expired"
    WRONG_LIST = "wrong_list"


class StatusListError(CryptoError):
    """A status list document is not usable; ``reason`` says why."""

    def __init__(self, reason: StatusListReason) -> None:
        super().__init__(f"status list refused: {reason.value}")
        self.reason = reason


def status_list_path(list_id: int) -> str:
    """Path of list ``list_id`` under the verification origin."""
    return f"/status/{list_id}"


def build_bitstring(entries: Mapping[int, EntryStatus]) -> bytes:
    """The raw list: every entry 0 except those given (index → status)."""
    raw = bytearray(_RAW_BYTES)
    for index, status in entries.items():
        if not 0 <= index < STATUS_LIST_ENTRIES:
            raise ValueError("status index out of range")
        shift = 6 - 2 * (index % 4)
        raw[index // 4] = (raw[index // 4] & ~(3 << shift)) | (int(status) << shift)
    return bytes(raw)


def _encode_list(raw: bytes) -> str:
    # mtime=0: the same list always gives the same bytes (and the worked example is stable).
    return "u" + b64url_encode(gzip.compress(raw, compresslevel=9, mtime=0))


def _decode_list(text: Any) -> bytes:
    if not isinstance(text, str) or not text.startswith("u"):
        raise StatusListError(StatusListReason.MALFORMED)
    try:
        compressed = b64url_decode(text[1:])
        inflater = zlib.decompressobj(wbits=31)  # gzip wrapper only
        raw = inflater.decompress(compressed, _RAW_BYTES + 1)
    except (ValueError, zlib.error):
        raise StatusListError(StatusListReason.MALFORMED) from None
    if len(raw) != _RAW_BYTES or not inflater.eof or inflater.unused_data:
        raise StatusListError(StatusListReason.MALFORMED)
    return raw


@dataclass(frozen=True)
class StatusList:
    """A verified status list."""

    list_id: int
    issuer: str
    issued_at: datetime
    valid_until: datetime
    kid: str
    bitstring: bytes

    def status(self, index: int) -> EntryStatus:
        if not 0 <= index < STATUS_LIST_ENTRIES:
            raise ValueError("status index out of range")
        value = (self.bitstring[index // 4] >> (6 - 2 * (index % 4))) & 3
        # Value 3 is unassigned: refuse rather than guess.
        if value not in EntryStatus._value2member_map_:
            raise StatusListError(StatusListReason.MALFORMED)
        return EntryStatus(value)


def sign_status_list(
    *,
    issuer: str,
    list_id: int,
    entries: Mapping[int, EntryStatus],
    issued_at: datetime,
    valid_for: timedelta,
    private_key: Ed25519PrivateKey,
    kid: str,
) -> str:
    """The compact JWS of list ``list_id`` (``issuer``: the verification origin, lower case)."""
    if kid_for(public_key_bytes(private_key)) != kid:
        raise ValueError("kid does not belong to the private key")
    if not 0 <= list_id <= MAX_STATUS_LIST_ID:
        raise ValueError("status list id out of range")
    iat = epoch_seconds(issued_at)
    payload = {
        "iss": issuer,
        "sub": issuer + status_list_path(list_id),
        "iat": iat,
        "exp": iat + int(valid_for.total_seconds()),
        "listId": list_id,
        "statusPurpose": "message",
        "statusSize": STATUS_SIZE,
        "statusMessages": STATUS_MESSAGES,
        "encodedList": _encode_list(build_bitstring(entries)),
    }
    return sign_compact(typ=STATUS_LIST_TYP, kid=kid, payload=payload, private_key=private_key)


def _int(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if type(value) is not int or value < 0:
        raise StatusListError(StatusListReason.MALFORMED)
    return value


def verify_status_list(
    jws: str,
    keys: Iterable[PublicKeyInfo],
    *,
    now: datetime,
    list_id: int | None = None,
) -> StatusList:
    """Check a status list JWS: structure, key, signature, the key's window at ``iat``, the
    list id (when given) and ``iat ≤ now < exp``.  A list past ``exp`` raises
    StatusListError(EXPIRED): it must be fetched again, never used.
    """
    try:
        token = parse_compact(jws, typ=STATUS_LIST_TYP, max_chars=MAX_JWS_CHARS)
        candidates, payload = verified_by_key_set(token, keys)
    except JWSError as exc:
        raise StatusListError(StatusListReason(exc.fault.value)) from None
    if not isinstance(payload, dict):
        raise StatusListError(StatusListReason.MALFORMED)
    iat, exp, found_id = _int(payload, "iat"), _int(payload, "exp"), _int(payload, "listId")
    issuer = payload.get("iss")
    if (
        not isinstance(issuer, str)
        or payload.get("sub") != issuer + status_list_path(found_id)
        or payload.get("statusPurpose") != "message"
        or payload.get("statusSize") != STATUS_SIZE
        or exp <= iat
    ):
        raise StatusListError(StatusListReason.MALFORMED)
    issued_at = from_epoch_seconds(iat)
    if not all(k.window.covers(issued_at) for k in candidates):
        raise StatusListError(StatusListReason.KEY_WINDOW)
    if list_id is not None and found_id != list_id:
        raise StatusListError(StatusListReason.WRONG_LIST)
    bitstring = _decode_list(payload.get("encodedList"))
    valid_until = from_epoch_seconds(exp)
    if not (issued_at - _CLOCK_SKEW <= now < valid_until):
        raise StatusListError(StatusListReason.EXPIRED)
    return StatusList(
        list_id=found_id,
        issuer=issuer,
        issued_at=issued_at,
        valid_until=valid_until,
        kid=token.kid,
        bitstring=bitstring,
    )
