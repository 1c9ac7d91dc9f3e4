"""Shared factories for the crypto unit tests (not a test module)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import cbor2
from nacl.signing import VerifyKey

from crypto.canonical import CertificateClaims
from crypto.keys import SigningKeyRecord, generate_key, private_key_from_seed

PASSPHRASE = b"correct horse battery staple"
SEED = bytes(range(32))
BASE_URL = "https://verify.ecert.example"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """UTC datetime shorthand."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def seeded(seed: bytes) -> Callable[[int], bytes]:
    """A ``rand`` that returns ``seed`` (for deterministic key generation)."""

    def rand(n: int) -> bytes:
        assert n == len(seed)
        return seed

    return rand


def make_record(
    now: datetime = T0, seed: bytes | None = None, passphrase: bytes = PASSPHRASE
) -> SigningKeyRecord:
    if seed is None:
        return generate_key(passphrase=passphrase, now=now)
    return generate_key(passphrase=passphrase, now=now, rand=seeded(seed))


def realistic_claims(**changes: Any) -> CertificateClaims:
    """The bench/doc certificate: 欧阳娜娜, 渝北区, 给排水 工程师."""
    claims = CertificateClaims(
        cert_id="UCQ2FI5EUWTKPKFJVKV2ZLNOV4",
        version=1,
        holder_name="欧阳娜娜",
        holder_id_masked="5001**********006X",
        level="ZHONG",
        series_code="05",
        title_name="工程师",
        specialty="给排水",
        authority_code="500112",
        review_body="重庆市工程技术中级职务渝北区评审委员会",
        obtained_on=date(2022, 12, 30),
        issued_on=date(2023, 3, 15),
        number="2022505000001237",
        provenance="NATIVE",
        signed_at=at(2024, 5, 6, 7, 8, 9),
    )
    return dataclasses.replace(claims, **changes)


def nacl_verify(cose: bytes, public_key: bytes) -> bytes:
    """Verify a COSE_Sign1 with PyNaCl -- independent of the signer's library.

    Rebuilds Sig_structure from the message parts with cbor2 and returns the
    payload; raises nacl.exceptions.BadSignatureError if the signature is bad.
    """
    message = cbor2.loads(cose)
    assert isinstance(message, cbor2.CBORTag) and message.tag == 18
    protected, _unprotected, payload, signature = message.value
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    VerifyKey(public_key).verify(to_be_signed, signature)
    return payload


__all__ = [
    "BASE_URL",
    "PASSPHRASE",
    "SEED",
    "T0",
    "at",
    "make_record",
    "nacl_verify",
    "private_key_from_seed",
    "realistic_claims",
    "seeded",
]
