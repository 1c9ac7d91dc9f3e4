"""Compact JWS (RFC 7515) with EdDSA / Ed25519: the steps the signed documents share.

The key list (``crypto.key_list``), the status lists (``crypto.status_list``) and the batch
reports (``crypto.batch_report``) are all a compact JWS with header
``{"alg": "EdDSA", "kid": KID, "typ": TYP}`` (exactly these members; signed in this order)
and a JSON object as payload, both base64url-encoded without padding.  This module signs
and parses that form; each caller keeps its own checks (which ``typ``, which key for the
``kid``, the key's window, the payload's members) and turns a :class:`JWSError` into its own
error type: ``JWSFault`` values are the same strings as the callers' reasons
(``malformed``, ``unknown_key``, ``bad_signature``).

Pure functions: no database, no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto._util import b64url_decode, b64url_encode
from crypto.errors import CryptoError
from crypto.keys import PublicKeyInfo

__all__ = [
    "CompactJWS",
    "JWSError",
    "JWSFault",
    "parse_compact",
    "sign_compact",
    "unverified_payload",
    "verified_by_key_set",
    "verified_payload",
]

_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})


class JWSFault(enum.Enum):
    """Why a compact JWS was refused (the values match the callers' reasons)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"


class JWSError(CryptoError):
    """A compact JWS is not usable; callers re-raise it as their own error."""

    def __init__(self, fault: JWSFault) -> None:
        super().__init__(f"compact JWS refused: {fault.value}")
        self.fault = fault


@dataclass(frozen=True)
class CompactJWS:
    """A compact JWS whose header was checked; its signature is not checked yet."""

    kid: str
    header: str  # the three parts as received (base64url)
    payload: str
    signature: str


def sign_compact(
    *, typ: str, kid: str, payload: dict[str, Any], private_key: Ed25519PrivateKey
) -> str:
    """``header.payload.signature`` of ``payload`` (the caller checks that ``kid`` is the
    private key's)."""
    header = orjson.dumps({"alg": "EdDSA", "kid": kid, "typ": typ})
    signing_input = (b64url_encode(header) + "." + b64url_encode(orjson.dumps(payload))).encode(
        "ascii"
    )
    return signing_input.decode("ascii") + "." + b64url_encode(private_key.sign(signing_input))


def _split(jws: Any, max_chars: int) -> list[str]:
    if not isinstance(jws, str) or len(jws) > max_chars:
        raise JWSError(JWSFault.MALFORMED)
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise JWSError(JWSFault.MALFORMED)
    return parts


def _json(part: str) -> Any:
    try:
        return orjson.loads(b64url_decode(part))
    except (ValueError, orjson.JSONDecodeError):
        raise JWSError(JWSFault.MALFORMED) from None


def parse_compact(jws: Any, *, typ: str, max_chars: int) -> CompactJWS:
    """Split ``jws`` (at most ``max_chars``, surrounding white space ignored) and check its
    header is exactly ``{"alg": "EdDSA", "kid": …, "typ": typ}``; JWSError(MALFORMED) else."""
    header_part, payload_part, signature_part = _split(jws, max_chars)
    header = _json(header_part)
    if (
        not isinstance(header, dict)
        or set(header) != _HEADER_MEMBERS
        or header["alg"] != "EdDSA"
        or header["typ"] != typ
        or not isinstance(header["kid"], str)
    ):
        raise JWSError(JWSFault.MALFORMED)
    return CompactJWS(
        kid=header["kid"], header=header_part, payload=payload_part, signature=signature_part
    )


def verified_payload(token: CompactJWS, public_key: bytes) -> Any:
    """The decoded payload once the signature checks with the raw Ed25519 ``public_key``:
    JWSError(BAD_SIGNATURE) if not, JWSError(MALFORMED) if the payload is not JSON."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            b64url_decode(token.signature), f"{token.header}.{token.payload}".encode("ascii")
        )
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        raise JWSError(JWSFault.BAD_SIGNATURE) from None
    return _json(token.payload)


def verified_by_key_set(
    token: CompactJWS, keys: Iterable[PublicKeyInfo]
) -> tuple[list[PublicKeyInfo], Any]:
    """The keys of ``keys`` with the token's kid and the payload they signed (as
    :func:`verified_payload`): JWSError(UNKNOWN_KEY) if no key has that kid.  The caller
    checks the returned keys' windows."""
    candidates = [k for k in keys if k.kid == token.kid]
    if not candidates:
        raise JWSError(JWSFault.UNKNOWN_KEY)
    return candidates, verified_payload(token, candidates[0].public_key)


def unverified_payload(jws: Any, *, max_chars: int) -> Any:
    """The decoded payload with neither header nor signature checked: only for a document
    this service signed and stored itself, never for one received from elsewhere."""
    return _json(_split(jws, max_chars)[1])
