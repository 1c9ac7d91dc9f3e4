"""Protection of the resident ID number at rest.

A database dump alone does not reveal an ID number: lookups use a keyed HMAC-SHA256
(the key lives in configuration, not in the database) and the value itself is sealed
with AES-256-GCM under a second key. The masked form (first 4 + last 4) is kept in clear
for display, since it hides the birth date.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PiiProtector"]

_AAD = b"ecert:id-number:v1"


def _lookup_hash(key: bytes, id_number: str) -> str:
    return hmac.new(key, id_number.encode("ascii"), hashlib.sha256).hexdigest()

_PREFIX = "v1:"


class PiiProtector:
    """Keyed lookup hash and authenticated encryption for ID numbers."""

    def __init__(self, *, hmac_key: bytes, encryption_key: bytes) -> None:
        if len(hmac_key) != 32 or len(encryption_key) != 32:
            raise ValueError("PII keys must be 32 bytes")
        self._hmac_key = hmac_key
        self._aead = AESGCM(encryption_key)

    def __repr__(self) -> str:
        return "PiiProtector(<keys hidden>)"

    def lookup_hash(self, id_number: str) -> str:
        """Deterministic keyed digest of a *normalised* ID number (for unique lookups)."""
        return _lookup_hash(self._hmac_key, id_number)

    def lookup_hasher(self) -> Callable[[str], str]:
        """``lookup_hash`` as a picklable function (bulk checks run in another process)."""
        return functools.partial(_lookup_hash, self._hmac_key)

    def seal(self, id_number: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, id_number.encode("ascii"), _AAD)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        if not token.startswith(_PREFIX):
            raise ValueError("unknown PII envelope version")
        raw = base64.urlsafe_b64decode(token[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode("ascii")
        except InvalidTag:
            raise ValueError("PII envelope does not open with this key") from None
