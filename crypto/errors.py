"""Exception types raised by the ``crypto`` package.

Every error derives from :class:`CryptoError` so callers can catch the
whole family.  None of them ever carries key material, passphrases or the
bytes being verified in its message.
"""

from __future__ import annotations

import enum


class CryptoError(Exception):
    """Base class of every error raised by ``crypto``."""


class KeyPassphraseError(CryptoError):
    """The passphrase does not decrypt the stored private key."""


class KeyRecordError(CryptoError, ValueError):
    """A key record is internally inconsistent (e.g. kid does not match the key)."""


class NoActiveKeyError(CryptoError, LookupError):
    """No signing key's window is open at the requested instant."""


class UnknownKeyError(CryptoError, KeyError):
    """No key with the requested kid is known."""


class JWKSError(CryptoError, ValueError):
    """A JWK Set document is malformed or contains an invalid Ed25519 key."""


class ClaimsError(CryptoError, ValueError):
    """Encoded claims are malformed, non-canonical or of an unknown format version."""


class UnsupportedFormatError(ClaimsError):
    """Claims carry a format_version this code does not understand."""


class UrlFormatError(CryptoError, ValueError):
    """Text is not a well-formed verification URL (or a base URL is unusable)."""


class QRTooLargeError(CryptoError, ValueError):
    """The content needs a QR symbol larger than the allowed maximum version."""


class QRDecodeError(CryptoError, ValueError):
    """No QR code could be read from an image."""


class VerificationReason(enum.Enum):
    """Why a verification failed.  For logs and coarse UI decisions only."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    KEY_WINDOW = "key_window"


# One fixed message for every failure: telling a forger which check tripped
# (structure, key, signature, window) would help them iterate.
_OPAQUE_MESSAGE = "the certificate could not be verified"


class VerificationError(CryptoError):
    """A signed certificate failed verification.

    The message is the same for every cause.  ``reason`` says which check
    failed; it is meant for server-side logging and for the verification page
    to tell "signed by a key we do not know" apart from everything else.  It
    must not be shown verbatim to the person scanning the code.
    """

    def __init__(self, reason: VerificationReason) -> None:
        super().__init__(_OPAQUE_MESSAGE)
        self.reason = reason

    def __repr__(self) -> str:
        # Keep ``reason`` out of reprs too: tracebacks end up in user-facing
        # error reports more often than one would like.
        return f"{type(self).__name__}({_OPAQUE_MESSAGE!r})"
