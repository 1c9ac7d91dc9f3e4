"""Protection of personal data at rest: the resident ID number and the mobile number.

A database dump alone reveals neither. Lookups use a keyed HMAC-SHA256 (the key lives in
configuration, not in the database) and the values themselves are sealed with AES-256-GCM
under a second key. Each kind of value has its own associated data, so a mobile
ciphertext never opens as an ID number (or the other way round), and its own lookup
domain.

Envelopes name the key that sealed them: ``v2:<kid>:<base64(nonce | ciphertext)>``, where
the key id is derived from the key itself. The protector holds the *current* key (which
seals) and any number of *previous* keys (which only open), so that ``ecert
rotate-pii-key`` can re-seal rows batch by batch while every row stays readable. The first
envelope version ``v1:<…>`` (before key ids) is still opened with any known key.

Public surface: ``lookup_hash``/``seal``/``open`` for ID numbers (``lookup_hasher`` for
bulk checks in another process), ``mobile_lookup_hash``/``seal_mobile``/``open_mobile``
for mobile numbers, and ``current_kid``/``is_current``/``reseal`` for key rotation.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PiiProtector", "Purpose"]

_V1 = "v1:"
_V2 = "v2:"
_NONCE = 12


class Purpose(Enum):
    """What a ciphertext holds: its AES-GCM associated data."""

    ID_NUMBER = b"ecert:id-number:v1"
    MOBILE = b"ecert:mobile:v1"
    TOTP_SECRET = b"ecert:totp-secret:v1"


def _lookup_hash(key: bytes, id_number: str) -> str:
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()


# Mobile numbers get their own HMAC domain: equal digests never mean "same person" across
# the two kinds of value.
_MOBILE_DOMAIN = b"ecert:mobile\x00"


def _kid(key: bytes) -> str:
    """A short public name for an encryption key (8 hex digits of a domain-separated hash)."""
    return hashlib.sha256(b"ecert:pii-kid\x00" + key).hexdigest()[:8]


class PiiProtector:
    """Keyed lookup hashes and authenticated encryption for ID numbers and mobile numbers."""

    def __init__(
        self,
        *,
        hmac_key: bytes,
        encryption_key: bytes,
        previous_encryption_keys: Iterable[bytes] = (),
    ) -> None:
        previous = tuple(previous_encryption_keys)
        if any(len(k) != 32 for k in (hmac_key, encryption_key, *previous)):
            raise ValueError("PII keys must be 32 bytes")
        self._hmac_key = hmac_key
        self._kid = _kid(encryption_key)
        self._current = AESGCM(encryption_key)
        # Current first: v1 envelopes (no key id) are tried with each key in this order.
        self._keys: dict[str, AESGCM] = {self._kid: self._current}
        for key in previous:
            self._keys.setdefault(_kid(key), AESGCM(key))

    def __repr__(self) -> str:
        return f"PiiProtector(current={self._kid}, <keys hidden>)"

    # ID numbers -----------------------------------------------------------------------

    def lookup_hash(self, id_number: str) -> str:
        """Deterministic keyed digest of a *normalised* ID number (for unique lookups)."""
        return _lookup_hash(self._hmac_key, id_number)

    def lookup_hasher(self) -> Callable[[str], str]:
        """``lookup_hash`` as a picklable function (bulk checks run in another process)."""
        return functools.partial(_lookup_hash, self._hmac_key)

    def seal(self, id_number: str) -> str:
        return self._seal(id_number, Purpose.ID_NUMBER)

    def open(self, token: str) -> str:
        return self._open(token, Purpose.ID_NUMBER)

    # Mobile numbers -------------------------------------------------------------------

    def mobile_lookup_hash(self, mobile: str) -> str:
        """Keyed digest of a *normalised* mobile number (``rules.normalize_mobile``): the
        one way to find accounts by mobile or to key per-mobile limits and codes."""
        return hmac.new(
            self._hmac_key, _MOBILE_DOMAIN + mobile.encode("utf-8"), hashlib.sha256
        ).hexdigest()

    def seal_mobile(self, mobile: str) -> str:
        return self._seal(mobile, Purpose.MOBILE)

    def open_mobile(self, token: str) -> str:
        return self._open(token, Purpose.MOBILE)

    # Staff TOTP secrets --------------------------------------------------------------

    def seal_totp_secret(self, secret: str) -> str:
        return self._seal(secret, Purpose.TOTP_SECRET)

    def open_totp_secret(self, token: str) -> str:
        return self._open(token, Purpose.TOTP_SECRET)

    # Key rotation ---------------------------------------------------------------------

    @property
    def current_kid(self) -> str:
        """The id of the key that seals (the prefix ``v2:<kid>:`` of what it seals)."""
        return self._kid

    def is_current(self, token: str) -> bool:
        """Whether ``token`` is already sealed with the current key."""
        return token.startswith(f"{_V2}{self._kid}:")

    def reseal(self, token: str, purpose: Purpose) -> str:
        """``token`` opened with whichever key sealed it and sealed again with the current."""
        return self._seal(self._open(token, purpose), purpose)

    # Envelopes ------------------------------------------------------------------------

    def _seal(self, value: str, purpose: Purpose) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._current.encrypt(nonce, value.encode("utf-8"), purpose.value)
        return f"{_V2}{self._kid}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _open(self, token: str, purpose: Purpose) -> str:
        if token.startswith(_V2):
            kid, sep, body = token[len(_V2) :].partition(":")
            if not sep:
                raise ValueError("malformed PII envelope")
            key = self._keys.get(kid)
            if key is None:
                raise ValueError(f"PII envelope sealed with unknown key {kid}")
            candidates = [key]
        elif token.startswith(_V1):
            body = token[len(_V1) :]
            candidates = list(self._keys.values())
        else:
            raise ValueError("unknown PII envelope version")
        try:
            raw = base64.urlsafe_b64decode(body)
        except ValueError:
            raise ValueError("malformed PII envelope") from None
        for aead in candidates:
            try:
                return aead.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.value).decode("utf-8")
            except InvalidTag:
                continue
        raise ValueError("PII envelope does not open with these keys")
