"""Ed25519 signing keys: generation, passphrase protection, windows, JWKS.

Key ids
-------
``kid`` = the first 10 bytes of SHA-256 over the 32-byte raw Ed25519 public
key, in RFC 4648 base32, upper case, unpadded (16 characters).  The COSE
header carries the same 10 bytes raw (see ``docs/verification-format.md``).

Key windows
-----------
A key may sign, and a signature by it counts, only for instants inside its
window ``[not_before, min(retired_at, revoked_at))``.  Window bounds have
one-second resolution (like ``signed_at`` in the claims): sub-second parts are
dropped when a :class:`KeyWindow` is built.  Flooring is the safe direction for
every bound: ``not_before`` moves to the start of the second the key was made
(no signature by it can predate its creation anyway), while retirement and
revocation take effect a fraction of a second earlier, never later.

Private key protection
----------------------
``cryptography`` only offers ``BestAvailableEncryption`` for PKCS#8, which
today means PBES2 / PBKDF2-HMAC-SHA256 with 2048 iterations / AES-256-CBC.
2048 PBKDF2 iterations are far too few for a key that signs a whole
province's certificates, so the passphrase is first stretched with scrypt
(``N=2**15, r=8, p=1``, salt = ``b"ecert-signing-key:" + kid bytes``) and the
lower-case hex of the 32-byte result is the PKCS#8 password.  The PEM stays
standard: ``openssl pkey -passin pass:<hex>`` opens it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from crypto._util import (
    b32decode_nopad,
    b32encode_nopad,
    b64url_decode,
    b64url_encode,
    epoch_seconds,
    from_epoch_seconds,
    require_utc,
)
from crypto.errors import (
    JWKSError,
    KeyPassphraseError,
    KeyRecordError,
    NoActiveKeyError,
    UnknownKeyError,
)

__all__ = [
    "KID_BYTES",
    "KeyRing",
    "KeyWindow",
    "PublicKeyInfo",
    "SigningKeyRecord",
    "generate_key",
    "jwks",
    "kid_bytes",
    "kid_for",
    "parse_jwks",
    "private_key_from_seed",
    "public_key_bytes",
    "unlock",
]

KID_BYTES = 10
PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32

# scrypt cost: 32 MiB and ~0.1 s per unlock -- done once per process start,
# so the cost lands on an attacker guessing passphrases, not on signing.
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_SALT_PREFIX = b"ecert-signing-key:"

# JWKS members carrying the window (integer seconds since the Unix epoch).
JWK_NOT_BEFORE = "nbf"
JWK_RETIRED_AT = "ecert_retired_at"
JWK_REVOKED_AT = "ecert_revoked_at"


def kid_for(public_key: bytes) -> str:
    """Key id of a raw 32-byte Ed25519 public key (see module docstring)."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return b32encode_nopad(hashlib.sha256(public_key).digest()[:KID_BYTES])


def kid_bytes(kid: str) -> bytes:
    """The raw 10 bytes behind a kid string (what the COSE header carries)."""
    raw = b32decode_nopad(kid)
    if len(raw) != KID_BYTES:
        raise ValueError("a kid is 10 bytes")
    return raw


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """Ed25519 private key from its 32-byte seed (RFC 8032 §5.1.5)."""
    if len(seed) != SEED_BYTES:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """Raw 32-byte public key of ``private_key``."""
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _floor_second(value: datetime, name: str) -> datetime:
    return require_utc(value, name).replace(microsecond=0)


@dataclass(frozen=True)
class KeyWindow:
    """When a key may sign: ``not_before <= t < min(retired_at, revoked_at)``.

    All bounds are timezone-aware; they are normalised to UTC and floored to
    whole seconds (see module docstring).  Naive datetimes raise ValueError.
    """

    not_before: datetime
    retired_at: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "not_before", _floor_second(self.not_before, "not_before"))
        for name in ("retired_at", "revoked_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _floor_second(value, name))

    def covers(self, signed_at: datetime) -> bool:
        """True iff a signature made at ``signed_at`` falls inside this window."""
        at = require_utc(signed_at, "signed_at")
        if at < self.not_before:
            return False
        if self.retired_at is not None and at >= self.retired_at:
            return False
        return self.revoked_at is None or at < self.revoked_at

    def retire(self, at: datetime) -> KeyWindow:
        """Window with retirement at ``at`` (routine rotation: stop signing)."""
        return replace(self, retired_at=at)

    def revoke(self, at: datetime) -> KeyWindow:
        """Window revoked at ``at``; an earlier existing revocation is kept.

        Revocation never moves later: that would revive signatures that were
        already declared untrustworthy.
        """
        at = _floor_second(at, "revoked_at")
        if self.revoked_at is not None and self.revoked_at <= at:
            return self
        return replace(self, revoked_at=at)


@dataclass(frozen=True)
class PublicKeyInfo:
    """Public half of a signing key plus its window: all a verifier needs."""

    kid: str
    public_key: bytes
    window: KeyWindow

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_BYTES:
            raise KeyRecordError("an Ed25519 public key is 32 bytes")
        if kid_for(self.public_key) != self.kid:
            raise KeyRecordError("kid does not match the public key")


@dataclass(frozen=True)
class SigningKeyRecord:
    """A stored signing key: public data, window and the encrypted private key.

    ``encrypted_private_key`` is an encrypted PKCS#8 PEM (see module
    docstring); it is kept out of ``repr`` so logs never carry it.
    """

    kid: str
    public_key: bytes
    encrypted_private_key: bytes = field(repr=False)
    window: KeyWindow

    def __post_init__(self) -> None:
        # Reuse PublicKeyInfo's checks: kid must be derived from the key.
        self.public_info()

    def public_info(self) -> PublicKeyInfo:
        """The public part of this record."""
        return PublicKeyInfo(kid=self.kid, public_key=self.public_key, window=self.window)

    def with_window(self, window: KeyWindow) -> SigningKeyRecord:
        """Copy of this record with another window (retire / revoke)."""
        return replace(self, window=window)


def _pkcs8_password(passphrase: bytes, kid: str) -> bytes:
    if not isinstance(passphrase, bytes) or not passphrase:
        raise ValueError("passphrase must be non-empty bytes")
    kdf = Scrypt(
        salt=_SCRYPT_SALT_PREFIX + kid_bytes(kid),
        length=32,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
    )
    return kdf.derive(passphrase).hex().encode("ascii")


def generate_key(
    *,
    passphrase: bytes,
    now: datetime,
    rand: Callable[[int], bytes] = os.urandom,
) -> SigningKeyRecord:
    """Create a new Ed25519 signing key valid from ``now`` (floored to the second).

    ``rand(32)`` supplies the private key seed; inject a fixed function only in
    tests.  The PKCS#8 salt and IV come from OpenSSL's own generator.
    """
    seed = rand(SEED_BYTES)
    if len(seed) != SEED_BYTES:
        raise ValueError("rand must return the requested number of bytes")
    private_key = private_key_from_seed(seed)
    public_key = public_key_bytes(private_key)
    kid = kid_for(public_key)
    encrypted = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_pkcs8_password(passphrase, kid)),
    )
    return SigningKeyRecord(
        kid=kid,
        public_key=public_key,
        encrypted_private_key=encrypted,
        window=KeyWindow(not_before=now),
    )


def unlock(record: SigningKeyRecord, passphrase: bytes) -> Ed25519PrivateKey:
    """Decrypt ``record``'s private key.

    Raises KeyPassphraseError for a wrong passphrase and KeyRecordError if the
    decrypted key does not belong to the record's public key.
    """
    password = _pkcs8_password(passphrase, record.kid)
    try:
        key = serialization.load_pem_private_key(record.encrypted_private_key, password)
    except TypeError:
        # cryptography raises TypeError when the PEM is not encrypted at all.
        raise KeyRecordError("stored private key is not encrypted") from None
    except ValueError:
        # ``from None``: the OpenSSL error adds nothing and we want no chance
        # of secrets riding along in the exception context.
        raise KeyPassphraseError("wrong passphrase for signing key " + record.kid) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyRecordError("stored key is not an Ed25519 key")
    if public_key_bytes(key) != record.public_key:
        raise KeyRecordError("stored private key does not match the public key")
    return key


class KeyRing:
    """The set of signing keys known to the issuer.

    Built from :class:`SigningKeyRecord` objects (e.g. loaded from the
    database).  Picks the key to sign with and publishes the JWKS.
    """

    def __init__(self, records: Iterable[SigningKeyRecord]) -> None:
        self._records: dict[str, SigningKeyRecord] = {}
        for record in records:
            if record.kid in self._records:
                raise KeyRecordError("duplicate kid in key ring: " + record.kid)
            self._records[record.kid] = record

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[SigningKeyRecord]:
        return iter(_ordered(self._records.values()))

    def signing_key(self, now: datetime) -> SigningKeyRecord:
        """The newest key (latest ``not_before``) whose window is open at ``now``.

        Sign with ``signed_at = now`` floored to the second; the window check
        gives the same answer for both.  Raises NoActiveKeyError if none.
        """
        open_keys = [r for r in self._records.values() if r.window.covers(now)]
        if not open_keys:
            raise NoActiveKeyError("no signing key is valid at the requested time")
        # kid breaks ties so the choice is deterministic.
        return max(open_keys, key=lambda r: (r.window.not_before, r.kid))

    def verifier(self, kid: str) -> PublicKeyInfo:
        """Public key and window for ``kid``; raises UnknownKeyError."""
        try:
            return self._records[kid].public_info()
        except KeyError:
            raise UnknownKeyError(kid) from None

    def public_keys(self) -> list[PublicKeyInfo]:
        """All public keys, oldest first."""
        return [r.public_info() for r in self]

    def jwks(self) -> dict[str, Any]:
        """JWK Set of every key in the ring (see :func:`jwks`)."""
        return jwks(self._records.values())


_Keyed = TypeVar("_Keyed", SigningKeyRecord, PublicKeyInfo)


def _ordered(items: Iterable[_Keyed]) -> list[_Keyed]:
    return sorted(items, key=lambda r: (r.window.not_before, r.kid))


def jwks(
    records: Iterable[SigningKeyRecord | PublicKeyInfo], *, not_before: str = JWK_NOT_BEFORE
) -> dict[str, Any]:
    """JWK Set (RFC 7517, OKP keys per RFC 8037) for publication.

    Each key: ``kty="OKP"``, ``crv="Ed25519"``, ``x`` (base64url public key),
    ``kid``, ``use="sig"``, ``alg="EdDSA"``, plus the window as integer Unix
    seconds: ``not_before`` (member name; ``nbf`` in jwks.json, ``ecert_not_before``
    in the signed key list) always, ``ecert_retired_at`` / ``ecert_revoked_at`` only
    when set.  Keys are ordered oldest first.  Never contains private parts.
    """
    infos = [r.public_info() if isinstance(r, SigningKeyRecord) else r for r in records]
    keys: list[dict[str, Any]] = []
    for info in _ordered(infos):
        jwk: dict[str, Any] = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url_encode(info.public_key),
            "kid": info.kid,
            "use": "sig",
            "alg": "EdDSA",
            not_before: epoch_seconds(info.window.not_before),
        }
        if info.window.retired_at is not None:
            jwk[JWK_RETIRED_AT] = epoch_seconds(info.window.retired_at)
        if info.window.revoked_at is not None:
            jwk[JWK_REVOKED_AT] = epoch_seconds(info.window.revoked_at)
        keys.append(jwk)
    return {"keys": keys}


def _jwk_time(jwk: Mapping[str, Any], name: str, *, required: bool) -> datetime | None:
    value = jwk.get(name)
    if value is None:
        if required:
            raise JWKSError(f"JWK lacks {name!r}")
        return None
    # bool is an int subclass; a JSON true must not pass as 1970-01-01T00:00:01Z.
    if type(value) is not int or value < 0:
        raise JWKSError(f"JWK member {name!r} must be a non-negative integer")
    try:
        return from_epoch_seconds(value)
    except (OverflowError, OSError, ValueError):
        raise JWKSError(f"JWK member {name!r} is out of range") from None


def _parse_jwk(jwk: Mapping[str, Any], not_before_member: str) -> PublicKeyInfo:
    if "d" in jwk:
        # A private key published by mistake: refuse loudly rather than use it.
        raise JWKSError("JWK Set contains private key material")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "EdDSA") != "EdDSA":
        raise JWKSError("Ed25519 JWK must have use 'sig' and alg 'EdDSA'")
    kid, x = jwk.get("kid"), jwk.get("x")
    if not isinstance(kid, str) or not isinstance(x, str):
        raise JWKSError("JWK needs string 'kid' and 'x'")
    try:
        public_key = b64url_decode(x)
    except ValueError:
        raise JWKSError("JWK 'x' is not base64url") from None
    not_before = _jwk_time(jwk, not_before_member, required=True)
    assert not_before is not None
    window = KeyWindow(
        not_before=not_before,
        retired_at=_jwk_time(jwk, JWK_RETIRED_AT, required=False),
        revoked_at=_jwk_time(jwk, JWK_REVOKED_AT, required=False),
    )
    try:
        return PublicKeyInfo(kid=kid, public_key=public_key, window=window)
    except KeyRecordError as exc:
        raise JWKSError(str(exc)) from None


def parse_jwks(
    document: Mapping[str, Any], *, not_before: str = JWK_NOT_BEFORE
) -> list[PublicKeyInfo]:
    """Parse a JWK Set produced by :func:`jwks` (e.g. ``/.well-known/jwks.json``; the
    signed key list names the start of the window ``not_before``, see :func:`jwks`).

    Keys of other types/curves are skipped (RFC 7517 §5); malformed Ed25519
    keys, kids that do not match their key, and duplicate kids raise JWKSError.
    """
    keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(keys, list):
        raise JWKSError("JWK Set needs a 'keys' array")
    result: list[PublicKeyInfo] = []
    seen: set[str] = set()
    for jwk in keys:
        if not isinstance(jwk, Mapping):
            raise JWKSError("JWK Set entries must be objects")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        info = _parse_jwk(jwk, not_before)
        if info.kid in seen:
            raise JWKSError("duplicate kid in JWK Set: " + info.kid)
        seen.add(info.kid)
        result.append(info)
    return result
