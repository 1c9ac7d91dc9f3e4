"""The trusted key list: the signing keys and their windows, signed by a trust root.

``/.well-known/jwks.json`` is unsigned: whoever can change it in transit or on the server's
disk can add a key.  The key list is the same JWK Set inside a compact JWS (RFC 7515) signed
with EdDSA / Ed25519 by a separate *trust root* key that verifiers pin once
(``/.well-known/ecert-trust-root.jwk``).  Header
``{"alg": "EdDSA", "kid": ROOT_KID, "typ": "ecert-keys+jwt"}``; payload a JSON object with
``iss`` (the issuer: the verification origin, lower case), ``iat``/``exp`` (epoch seconds:
the list is only trusted before ``exp``) and ``keys``, a JWK Set whose members are standard
Ed25519 JWKs plus the window as integer epoch seconds: ``ecert_not_before`` always,
``ecert_retired_at`` / ``ecert_revoked_at`` when set.  The trust root's kid is derived from
its public key exactly as a signing key's (``crypto.keys.kid_for``).
``docs/verification-format.md`` §13 is the normative description.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto._util import b64url_decode, b64url_encode, epoch_seconds, from_epoch_seconds
from crypto.errors import CryptoError, JWKSError
from crypto.jws import JWSError, parse_compact, sign_compact, verified_payload
from crypto.keys import PublicKeyInfo, jwks, kid_for, parse_jwks, public_key_bytes

__all__ = [
    "KEY_LIST_NOT_BEFORE",
    "KEY_LIST_TYP",
    "KeyList",
    "KeyListError",
    "KeyListReason",
    "TrustRoot",
    "parse_trust_root",
    "sign_key_list",
    "trust_root_jwk",
    "verify_key_list",
]

KEY_LIST_TYP = "ecert-keys+jwt"
#: The member of each listed JWK holding the start of its window (``nbf`` in jwks.json).
KEY_LIST_NOT_BEFORE = "ecert_not_before"
#: Far more than any real key history; anything larger is hostile.
MAX_JWS_CHARS = 256 * 1024
# A clock this far ahead of the verifier's still counts as "issued now".
_CLOCK_SKEW = timedelta(minutes=5)


class KeyListReason(enum.Enum):
    """Why a key list was refused (for logs and the CLI's message)."""

    MALFORMED = "malformed"
    WRONG_ROOT = "wrong_root"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"


class KeyListError(CryptoError):
    """A key list (or a trust root document) is not usable; ``reason`` says why."""

    def __init__(self, reason: KeyListReason) -> None:
        super().__init__(f"key list refused: {reason.value}")
        self.reason = reason


@dataclass(frozen=True)
class TrustRoot:
    """The public half of the trust root: what a verifier pins."""

    kid: str
    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != 32 or kid_for(self.public_key) != self.kid:
            raise KeyListError(KeyListReason.MALFORMED)


def trust_root_jwk(root: TrustRoot) -> dict[str, Any]:
    """The trust root as a standard Ed25519 JWK (``/.well-known/ecert-trust-root.jwk``)."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(root.public_key),
        "kid": root.kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def parse_trust_root(document: Any) -> TrustRoot:
    """The trust root of a JWK made by :func:`trust_root_jwk`; KeyListError(MALFORMED) else."""
    if (
        not isinstance(document, Mapping)
        or "d" in document
        or document.get("kty") != "OKP"
        or document.get("crv") != "Ed25519"
        or document.get("alg", "EdDSA") != "EdDSA"
        or not isinstance(document.get("kid"), str)
        or not isinstance(document.get("x"), str)
    ):
        raise KeyListError(KeyListReason.MALFORMED)
    try:
        public_key = b64url_decode(document["x"])
    except ValueError:
        raise KeyListError(KeyListReason.MALFORMED) from None
    return TrustRoot(kid=document["kid"], public_key=public_key)


@dataclass(frozen=True)
class KeyList:
    """A verified key list."""

    issuer: str
    issued_at: datetime
    valid_until: datetime
    keys: list[PublicKeyInfo]

    def jwks(self) -> dict[str, Any]:
        """The listed keys as a plain JWK Set (the format of ``jwks.json``)."""
        return jwks(self.keys)


def sign_key_list(
    *,
    issuer: str,
    keys: Iterable[PublicKeyInfo],
    issued_at: datetime,
    valid_for: timedelta,
    private_key: Ed25519PrivateKey,
) -> str:
    """The compact JWS of the key list (``issuer``: the verification origin, lower case),
    signed by the trust root ``private_key``."""
    kid = kid_for(public_key_bytes(private_key))
    iat = epoch_seconds(issued_at)
    payload = {
        "iss": issuer,
        "iat": iat,
        "exp": iat + int(valid_for.total_seconds()),
        "keys": jwks(keys, not_before=KEY_LIST_NOT_BEFORE),
    }
    return sign_compact(typ=KEY_LIST_TYP, kid=kid, payload=payload, private_key=private_key)


def _int(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if type(value) is not int or value < 0:
        raise KeyListError(KeyListReason.MALFORMED)
    return value


def verify_key_list(jws: str, root: TrustRoot, *, now: datetime) -> KeyList:
    """Check a key list JWS: structure, signed by ``root`` (the pinned trust root), and
    ``iat ≤ now < exp``.  A list past ``exp`` raises KeyListError(EXPIRED): the verifier
    must fetch it again, it never makes a certificate valid.
    """
    try:
        token = parse_compact(jws, typ=KEY_LIST_TYP, max_chars=MAX_JWS_CHARS)
        if token.kid != root.kid:
            raise KeyListError(KeyListReason.WRONG_ROOT)
        payload = verified_payload(token, root.public_key)
    except JWSError as exc:
        raise KeyListError(KeyListReason(exc.fault.value)) from None
    if not isinstance(payload, dict):
        raise KeyListError(KeyListReason.MALFORMED)
    iat, exp = _int(payload, "iat"), _int(payload, "exp")
    issuer = payload.get("iss")
    listed = payload.get("keys")
    if not isinstance(issuer, str) or exp <= iat or not isinstance(listed, dict):
        raise KeyListError(KeyListReason.MALFORMED)
    try:
        keys = parse_jwks(listed, not_before=KEY_LIST_NOT_BEFORE)
    except JWKSError:
        raise KeyListError(KeyListReason.MALFORMED) from None
    issued_at, valid_until = from_epoch_seconds(iat), from_epoch_seconds(exp)
    if not (issued_at - _CLOCK_SKEW <= now < valid_until):
        raise KeyListError(KeyListReason.EXPIRED)
    return KeyList(issuer=issuer, issued_at=issued_at, valid_until=valid_until, keys=keys)
