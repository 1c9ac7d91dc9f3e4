"""Small shared helpers: UTC handling and text encodings (no crypto here)."""

from __future__ import annotations

import base64
import binascii
import io
from datetime import UTC, datetime
from typing import Any

import cbor2

_B32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Lengths (mod 8) that unpadded RFC 4648 base32 can have.
_B32_VALID_REMAINDERS = frozenset({0, 2, 4, 5, 7})


def require_utc(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC; reject naive datetimes."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")
    return value.astimezone(UTC)


def epoch_seconds(value: datetime) -> int:
    """Whole seconds since 1970-01-01T00:00:00Z (floor for sub-second values)."""
    delta = value - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86400 + delta.seconds


def from_epoch_seconds(value: int) -> datetime:
    """Inverse of :func:`epoch_seconds`."""
    return datetime.fromtimestamp(value, UTC)


def b32encode_nopad(data: bytes) -> str:
    """RFC 4648 base32, upper case, without ``=`` padding."""
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32decode_nopad(text: str) -> bytes:
    """Strict inverse of :func:`b32encode_nopad` (upper case only).

    Rejects characters outside the alphabet, impossible lengths and
    non-zero trailing bits, so that each byte string has exactly one text form.
    """
    if not set(text) <= _B32_ALPHABET or len(text) % 8 not in _B32_VALID_REMAINDERS:
        raise ValueError("not unpadded upper-case base32")
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise ValueError("not unpadded upper-case base32") from exc
    if b32encode_nopad(data) != text:
        raise ValueError("non-canonical base32 (trailing bits set)")
    return data


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`."""
    if "=" in text:
        raise ValueError("base64url must be unpadded")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64url_encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


def decode_cbor_strict(data: bytes, *, max_depth: int = 16) -> Any:
    """Decode exactly one CBOR item; raise ValueError on anything irregular.

    Rejects trailing bytes, duplicate map keys and indefinite lengths.  Callers
    additionally re-encode the result to insist on the canonical form.
    """
    stream = io.BytesIO(data)
    try:
        decoder = cbor2.CBORDecoder(
            stream, allow_indefinite=False, allow_duplicate_keys=False, max_depth=max_depth
        )
        item = decoder.decode()
    except Exception:
        # cbor2 raises a zoo of types on hostile input (CBORDecodeError,
        # EOFError, OverflowError, RecursionError, ...): all mean "malformed".
        raise ValueError("malformed CBOR") from None
    if stream.tell() != len(data):
        raise ValueError("trailing bytes after the CBOR item")
    return item
