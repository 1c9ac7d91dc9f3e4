"""TOTP (RFC 6238) for the staff second factor: secrets sealed at rest, codes checked by step.

Codes are the authenticator apps' default: 6 digits, SHA-1, 30-second steps (pyotp). A code
is accepted for the current step or one step either side (``VALID_WINDOW``), and the step it
matched is returned so the caller can refuse a step at or before the last one accepted: the
same code is never accepted twice.

The secret is sealed with AES-256-GCM under the PII encryption key with its own associated
data (``ecert:totp-secret:v1``): a sealed TOTP secret never opens as an ID number, nor the
reverse. Rotating the PII encryption key must re-seal these secrets too.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from schema.pii import PiiProtector

__all__ = [
    "ISSUER",
    "STEP_SECONDS",
    "VALID_WINDOW",
    "TotpSealer",
    "code_at_step",
    "matching_step",
    "new_secret",
    "provisioning_uri",
    "qr_svg",
    "step_of",
]

ISSUER = "ecert"
STEP_SECONDS = 30
VALID_WINDOW = 1
DIGITS = 6


class TotpSealer:
    """Authenticated encryption of TOTP secrets: the PII protector's keys (so
    ``ecert rotate-pii-key`` re-seals them with the rest) under their own associated data."""

    def __init__(self, pii: PiiProtector) -> None:
        self._pii = pii

    def __repr__(self) -> str:
        return "TotpSealer(<key hidden>)"

    def seal(self, secret: str) -> str:
        return self._pii.seal_totp_secret(secret)

    def open(self, token: str) -> str:
        return self._pii.open_totp_secret(token)


def new_secret() -> str:
    """A new random base32 secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def step_of(now: datetime) -> int:
    """The time-step number of ``now``."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    """The code of ``step`` (what an authenticator shows during that step)."""
    return _totp(secret).generate_otp(step)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step within ``VALID_WINDOW`` of ``now`` whose code is ``code``, or None.

    Spaces a person types between digit groups are ignored; anything else but six digits
    matches nothing. Every candidate is compared in constant time.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    current = step_of(now)
    found: int | None = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(code_at_step(secret, step), typed):
            found = step
    return found


def provisioning_uri(secret: str, *, account_name: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app scans."""
    return _totp(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an SVG QR code (scanned from the screen)."""
    import segno  # only staff enrolment draws this; not loaded with the web app

    return str(segno.make(uri, error="m").svg_inline(scale=4))
