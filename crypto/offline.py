"""Offline verification: from a scanned URL (or a photo of the QR) to claims.

Needs only the published JWK Set -- no database, no network.  This is the
reference for third-party verifiers; ``docs/verification-format.md``
describes the same steps in prose.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crypto.errors import QRDecodeError, UrlFormatError, VerificationError, VerificationReason
from crypto.keys import PublicKeyInfo, parse_jwks
from crypto.qr import parse_verification_url
from crypto.signing import VerifiedClaims, verify_cose
from crypto.status_list import EntryStatus, verify_status_list

__all__ = ["decode_qr_image", "offline_status", "verify_offline", "verify_url"]


def verify_url(
    text: str, keys: Iterable[PublicKeyInfo], *, expected_base: str | None = None
) -> VerifiedClaims:
    """Verify a verification URL against ``keys``.

    Also requires the certificate id in the URL path to equal the signed
    ``cert_id``: otherwise a valid signature could be pasted under another
    id and the page would look up the wrong record.  Every failure, including
    an unparseable URL, raises VerificationError (URL problems: MALFORMED).
    """
    try:
        cert_id, cose = parse_verification_url(text, expected_base=expected_base)
    except UrlFormatError:
        raise VerificationError(VerificationReason.MALFORMED) from None
    verified = verify_cose(cose, keys)
    if verified.claims.cert_id != cert_id:
        raise VerificationError(VerificationReason.MALFORMED)
    return verified


def verify_offline(text_or_url: str, jwks: Mapping[str, Any]) -> VerifiedClaims:
    """Verify a scanned URL using only a JWK Set document (``/.well-known/jwks.json``).

    Raises VerificationError for any problem with the URL or signature, and
    JWKSError if the JWK Set itself is malformed.
    """
    return verify_url(text_or_url, parse_jwks(jwks))


def offline_status(
    verified: VerifiedClaims, status_list_jws: str, jwks: Mapping[str, Any], *, now: datetime
) -> EntryStatus | None:
    """The current state of a verified certificate from its signed status list (§12).

    None for claims without a status-list entry (format 1: status unknown offline).
    Raises StatusListError when the list is not usable -- above all EXPIRED: a list past
    its ``exp`` must be fetched again, it never makes a certificate valid.
    """
    entry = verified.claims.status_index
    if entry is None:
        return None
    status_list = verify_status_list(
        status_list_jws, parse_jwks(jwks), now=now, list_id=entry.list_id
    )
    return status_list.status(entry.index)


def decode_qr_image(image_bytes: bytes) -> str:
    """Text of the QR code in a PNG or JPEG photo/scan, decoded with zxing-cpp.

    Raises QRDecodeError if the image cannot be read or holds no QR code, or
    holds several different ones (ambiguous: which one is the certificate?).
    """
    # Imported here, not with the module: the web process loads ``crypto`` for every
    # scan but decodes a photographed QR code only in the CLI and the scan-upload form.
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            # Greyscale: zxing binarises anyway, and this normalises palette,
            # alpha and CMYK inputs in one step.
            grey = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise QRDecodeError("not a readable image") from None
    results = zxingcpp.read_barcodes(
        grey,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        text_mode=zxingcpp.TextMode.Plain,
    )
    texts = {r.text for r in results if r.valid}
    if not texts:
        raise QRDecodeError("no QR code found in the image")
    if len(texts) > 1:
        raise QRDecodeError("more than one QR code in the image")
    return texts.pop()
