"""Signing, encoding and verification of electronic professional-title certificates.

A pure library: no database, network or environment access.  Time,
randomness and passphrases are passed in.  The wire format is specified in
``docs/verification-format.md``.
"""

from crypto.canonical import (
    LEVELS,
    PROVENANCES,
    CertificateClaims,
    decode_claims,
    encode_claims,
    new_cert_id,
)
from crypto.errors import (
    ClaimsError,
    CryptoError,
    JWKSError,
    KeyPassphraseError,
    KeyRecordError,
    NoActiveKeyError,
    QRDecodeError,
    QRTooLargeError,
    UnknownKeyError,
    UnsupportedFormatError,
    UrlFormatError,
    VerificationError,
    VerificationReason,
)
from crypto.keys import (
    KeyRing,
    KeyWindow,
    PublicKeyInfo,
    SigningKeyRecord,
    generate_key,
    jwks,
    kid_for,
    parse_jwks,
    unlock,
)
from crypto.offline import decode_qr_image, verify_offline, verify_url
from crypto.qr import (
    MAX_QR_VERSION,
    build_verification_url,
    check_code,
    make_qr,
    parse_verification_url,
    qr_png,
    qr_svg,
    qr_version,
)
from crypto.signing import VerifiedClaims, sign_claims, verify_cose

__all__ = [
    "LEVELS",
    "MAX_QR_VERSION",
    "PROVENANCES",
    "CertificateClaims",
    "ClaimsError",
    "CryptoError",
    "JWKSError",
    "KeyPassphraseError",
    "KeyRecordError",
    "KeyRing",
    "KeyWindow",
    "NoActiveKeyError",
    "PublicKeyInfo",
    "QRDecodeError",
    "QRTooLargeError",
    "SigningKeyRecord",
    "UnknownKeyError",
    "UnsupportedFormatError",
    "UrlFormatError",
    "VerificationError",
    "VerificationReason",
    "VerifiedClaims",
    "build_verification_url",
    "check_code",
    "decode_claims",
    "decode_qr_image",
    "encode_claims",
    "generate_key",
    "jwks",
    "kid_for",
    "make_qr",
    "new_cert_id",
    "parse_jwks",
    "parse_verification_url",
    "qr_png",
    "qr_svg",
    "qr_version",
    "sign_claims",
    "unlock",
    "verify_cose",
    "verify_offline",
    "verify_url",
]
