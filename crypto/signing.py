"""COSE_Sign1 (RFC 9052 §4.2) with EdDSA over the encoded claims.

Wire form (all CBOR, deterministic encoding)::

    18([                      ; tag 18 = COSE_Sign1
        h'A2 01 27 04 4A <kid:10 bytes>',   ; protected = {1: -8, 4: kid}
        {},                                 ; unprotected: always empty
        h'<encode_claims(claims)>',         ; payload
        h'<64-byte Ed25519 signature>',
    ])

The signature is Ed25519 over
``Sig_structure = ["Signature1", protected, h'', payload]`` (external_aad empty).

Verification is deliberately opaque: every failure raises
:class:`~crypto.errors.VerificationError` with the same message; its
``reason`` attribute tells logs (and the page) which check failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from crypto._util import b32encode_nopad, decode_cbor_strict
from crypto.canonical import CertificateClaims, decode_claims, encode_claims
from crypto.errors import ClaimsError, VerificationError, VerificationReason
from crypto.keys import KID_BYTES, PublicKeyInfo, kid_bytes, kid_for, public_key_bytes

__all__ = [
    "COSE_ALG_EDDSA",
    "COSE_SIGN1_TAG",
    "MAX_COSE_BYTES",
    "CoseSign1",
    "VerifiedClaims",
    "cose_sign1_length",
    "parse_cose_sign1",
    "protected_header",
    "sig_structure",
    "sign_claims",
    "verify_cose",
    "verify_sign1",
]

COSE_SIGN1_TAG = 18
COSE_ALG_EDDSA = -8
_HDR_ALG = 1
_HDR_KID = 4
SIGNATURE_BYTES = 64
# Inputs come from QR codes (a version-15 symbol holds < 600 characters);
# refusing anything bigger bounds the work an attacker can make us do.
MAX_COSE_BYTES = 1024


@dataclass(frozen=True)
class VerifiedClaims:
    """Claims whose signature checked out, and the kid of the key that signed."""

    claims: CertificateClaims
    kid: str


@dataclass(frozen=True)
class CoseSign1:
    """The four parts of a structurally valid COSE_Sign1 (signature unchecked)."""

    protected: bytes
    kid: str
    payload: bytes
    signature: bytes


def protected_header(kid: str) -> bytes:
    """Encoded protected header ``{1: -8, 4: kid-bytes}``."""
    return cbor2.dumps({_HDR_ALG: COSE_ALG_EDDSA, _HDR_KID: kid_bytes(kid)}, canonical=True)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """Encoded ``["Signature1", protected, h'', payload]`` -- the signed bytes."""
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def sign_claims(claims: CertificateClaims, private_key: Ed25519PrivateKey, kid: str) -> bytes:
    """COSE_Sign1 over ``claims``, tagged 18.

    ``kid`` must be the id of ``private_key`` (checked).  The caller chooses
    the key with ``KeyRing.signing_key(claims.signed_at)``, so that
    ``signed_at`` lies inside the key's window -- otherwise verifiers reject it.
    """
    if kid_for(public_key_bytes(private_key)) != kid:
        raise ValueError("kid does not belong to the private key")
    protected = protected_header(kid)
    payload = encode_claims(claims)
    signature = private_key.sign(sig_structure(protected, payload))
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])
    return cbor2.dumps(message, canonical=True)


def cose_sign1_length(claims: CertificateClaims) -> int:
    """Length in bytes of the COSE_Sign1 that :func:`sign_claims` makes for ``claims``.

    The structure's size does not depend on the key: the kid is always
    ``KID_BYTES`` long and an Ed25519 signature always 64 bytes, so a
    placeholder of each gives the exact length without signing.
    """
    protected = cbor2.dumps(
        {_HDR_ALG: COSE_ALG_EDDSA, _HDR_KID: bytes(KID_BYTES)}, canonical=True
    )
    message = cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, encode_claims(claims), bytes(64)])
    return len(cbor2.dumps(message, canonical=True))


def _malformed() -> VerificationError:
    return VerificationError(VerificationReason.MALFORMED)


def parse_cose_sign1(data: bytes) -> CoseSign1:
    """Split a COSE_Sign1 into its parts, checking structure only.

    Strict: tag 18, exactly four elements, protected header exactly
    ``{1: -8, 4: <10-byte kid>}``, empty unprotected map, attached payload,
    64-byte signature, canonical encoding, no trailing bytes.  Raises
    VerificationError(MALFORMED).
    """
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_COSE_BYTES:
        raise _malformed()
    data = bytes(data)
    try:
        item = decode_cbor_strict(data)
    except ValueError:
        raise _malformed() from None
    if not isinstance(item, cbor2.CBORTag) or item.tag != COSE_SIGN1_TAG:
        raise _malformed()
    parts = item.value
    if not isinstance(parts, list | tuple) or len(parts) != 4:
        raise _malformed()
    protected, unprotected, payload, signature = parts
    if not (
        type(protected) is bytes
        and isinstance(unprotected, Mapping)
        and not unprotected
        and type(payload) is bytes
        and type(signature) is bytes
        and len(signature) == SIGNATURE_BYTES
    ):
        raise _malformed()
    try:
        header = decode_cbor_strict(protected, max_depth=2)
    except ValueError:
        raise _malformed() from None
    if not isinstance(header, Mapping) or set(header) != {_HDR_ALG, _HDR_KID}:
        raise _malformed()
    alg, raw_kid = header[_HDR_ALG], header[_HDR_KID]
    if type(alg) is not int or alg != COSE_ALG_EDDSA:
        raise _malformed()
    if type(raw_kid) is not bytes or len(raw_kid) != KID_BYTES:
        raise _malformed()
    # One message, one encoding: re-encoding must give back the input, so no
    # two byte strings (hence no two QR codes) carry the same signed message.
    if protected != protected_header(b32encode_nopad(raw_kid)):
        raise _malformed()
    if cbor2.dumps(item, canonical=True) != data:
        raise _malformed()
    return CoseSign1(
        protected=protected, kid=b32encode_nopad(raw_kid), payload=payload, signature=signature
    )


def verify_cose(data: bytes, keys: Iterable[PublicKeyInfo]) -> VerifiedClaims:
    """Verify a COSE_Sign1 produced by :func:`sign_claims`.

    Checks, in order: structure (MALFORMED), kid known among ``keys``
    (UNKNOWN_KEY), Ed25519 signature (BAD_SIGNATURE), claims decodable
    (MALFORMED), ``signed_at`` inside the window of every listed entry for
    that kid (KEY_WINDOW).  Any failure raises VerificationError.
    """
    return verify_sign1(parse_cose_sign1(data), keys)


def verify_sign1(message: CoseSign1, keys: Iterable[PublicKeyInfo]) -> VerifiedClaims:
    """:func:`verify_cose` for a message already split by :func:`parse_cose_sign1` (a
    server parses once, reads the kid, then fetches only that key)."""
    candidates = [k for k in keys if k.kid == message.kid]
    if not candidates:
        raise VerificationError(VerificationReason.UNKNOWN_KEY)
    # PublicKeyInfo guarantees kid == hash(public_key), so every candidate
    # holds the same public key; checking the first one suffices.
    try:
        Ed25519PublicKey.from_public_bytes(candidates[0].public_key).verify(
            message.signature, sig_structure(message.protected, message.payload)
        )
    except (InvalidSignature, ValueError):
        raise VerificationError(VerificationReason.BAD_SIGNATURE) from None
    try:
        claims = decode_claims(message.payload)
    except ClaimsError:
        raise _malformed() from None
    # If a key is listed more than once (e.g. merged JWKS sources), the most
    # restrictive window wins: a revocation anywhere is honoured.
    if not all(k.window.covers(claims.signed_at) for k in candidates):
        raise VerificationError(VerificationReason.KEY_WINDOW)
    return VerifiedClaims(claims=claims, kid=message.kid)
