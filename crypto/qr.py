"""Verification URL, QR symbol and human check code.

URL form: ``{BASE}/V/{CERT_ID}/{PAYLOAD}``

* ``BASE``: the official verification origin, upper case
  (``HTTPS://VERIFY.ECERT.EXAMPLE``; scheme and host are case-insensitive, so
  upper case is still the same origin).
* ``CERT_ID``: the 26-character base32 certificate id (also inside the claims).
* ``PAYLOAD``: the COSE_Sign1 bytes, RFC 4648 base32, upper case, unpadded.

Every character is in the QR alphanumeric set (``0-9 A-Z $%*+-./:`` and
space), so the whole URL is one alphanumeric segment at 5.5 bits per
character instead of 8 in byte mode.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from crypto._util import b32decode_nopad, b32encode_nopad
from crypto.canonical import CERT_ID_BYTES, CertificateClaims
from crypto.errors import QRTooLargeError, UrlFormatError
from crypto.signing import MAX_COSE_BYTES, CoseSign1, cose_sign1_length, parse_cose_sign1

if TYPE_CHECKING:
    import segno

# segno (about 2 MiB with its writers) is imported where a symbol is drawn or sized, not
# with this module: the verification page parses URLs here on every scan and never draws.

__all__ = [
    "MAX_BASE_URL_LENGTH",
    "MAX_QR_VERSION",
    "QR_ERROR_LEVEL",
    "build_verification_url",
    "check_code",
    "make_qr",
    "normalize_base_url",
    "parse_verification_path",
    "parse_verification_url",
    "qr_images",
    "qr_png",
    "qr_svg",
    "qr_version",
    "qr_version_for_claims",
    "qr_version_for_length",
    "verification_url_length",
]

# Version 20 is 97x97 modules: 0.36 mm a module on a 35 mm printed code, which phone
# cameras read; larger versions get too dense for cheap cameras at certificate print sizes.
MAX_QR_VERSION = 20
# The budget every issuable certificate is checked against assumes an origin this long at
# most (``HTTPS://`` and a 32-character host), so a deployment's origin never makes an
# accepted registration unissuable; ``normalize_base_url`` refuses a longer one.
MAX_BASE_URL_LENGTH = 40
QR_ERROR_LEVEL = "M"
_PATH_MARKER = "/V/"

# Origin only: scheme, host, optional port.  No user info, path or query --
# upper-casing those would change their meaning.
_BASE_RE = re.compile(r"HTTPS?://[A-Z0-9](?:[A-Z0-9.-]{0,251}[A-Z0-9])?(?::[0-9]{1,5})?")
_URL_RE = re.compile(
    r"(?P<base>HTTPS?://[A-Z0-9.:-]+)/V/(?P<cert_id>[A-Z2-7]{26})/(?P<payload>[A-Z2-7]+)"
)
_CERT_ID_RE = re.compile(r"[A-Z2-7]{26}")
_PAYLOAD_RE = re.compile(r"[A-Z2-7]+")
# base32 of MAX_COSE_BYTES, rounded up.
_MAX_PAYLOAD_CHARS = -(-MAX_COSE_BYTES * 8 // 5)


def normalize_base_url(base_url: str) -> str:
    """Upper-case origin ``HTTP(S)://HOST[:PORT]``; a trailing ``/`` is dropped.

    Raises UrlFormatError for anything else (paths, queries, user info,
    non-ASCII hosts -- use the punycode form).
    """
    base = base_url.strip().upper().removesuffix("/")
    if not _BASE_RE.fullmatch(base):
        raise UrlFormatError("base URL must be an http(s) origin without a path")
    if len(base) > MAX_BASE_URL_LENGTH:
        raise UrlFormatError(f"base URL must be at most {MAX_BASE_URL_LENGTH} characters")
    return base


def build_verification_url(base_url: str, cert_id: str, cose: bytes) -> str:
    """``{BASE}/V/{CERT_ID}/{base32(cose)}`` -- the text put in the QR code."""
    base = normalize_base_url(base_url)
    try:
        if len(b32decode_nopad(cert_id)) != CERT_ID_BYTES:
            raise ValueError
    except ValueError:
        raise UrlFormatError("cert_id must be 26 upper-case base32 characters") from None
    return f"{base}{_PATH_MARKER}{cert_id}/{b32encode_nopad(cose)}"


def parse_verification_url(text: str, *, expected_base: str | None = None) -> tuple[str, bytes]:
    """Split a scanned verification URL into ``(cert_id, cose_bytes)``.

    Tolerates lower or mixed case (some phone scanners lower-case URLs) and
    surrounding whitespace; everything else must match exactly: no query,
    fragment or trailing slash, canonical unpadded base32.  If
    ``expected_base`` is given the origin must equal it (case-insensitively).
    Does not verify the signature.  Raises UrlFormatError.
    """
    if not isinstance(text, str) or len(text) > 4096:
        raise UrlFormatError("not a verification URL")
    match = _URL_RE.fullmatch(text.strip().upper())
    if match is None:
        raise UrlFormatError("not a verification URL")
    base = match["base"]
    if not _BASE_RE.fullmatch(base):
        raise UrlFormatError("not a verification URL")
    if expected_base is not None and base != normalize_base_url(expected_base):
        raise UrlFormatError("verification URL is not on the official origin")
    return parse_verification_path(match["cert_id"], match["payload"])


def parse_verification_path(cert_id: str, payload: str) -> tuple[str, bytes]:
    """The two parts of ``/V/{CERT_ID}/{PAYLOAD}`` (any case) → ``(cert_id, cose_bytes)``.

    What :func:`parse_verification_url` checks after the origin, for a server that already
    knows the origin is its own: base32 alphabet, length bounds, canonical unpadded base32.
    Does not verify the signature.  Raises UrlFormatError.
    """
    cert_id, payload = cert_id.upper(), payload.upper()
    if len(payload) > _MAX_PAYLOAD_CHARS:
        raise UrlFormatError("verification URL payload too long")
    if not (_CERT_ID_RE.fullmatch(cert_id) and _PAYLOAD_RE.fullmatch(payload)):
        raise UrlFormatError("not a verification URL")
    try:
        cose = b32decode_nopad(payload)
        b32decode_nopad(cert_id)
    except ValueError:
        raise UrlFormatError("verification URL payload is not canonical base32") from None
    return cert_id, cose


def verification_url_length(base_url_length: int, claims: CertificateClaims) -> int:
    """Length of the verification URL for ``claims`` under an origin of that length,
    computed without signing (see :func:`crypto.signing.cose_sign1_length`)."""
    payload_chars = -(-cose_sign1_length(claims) * 8 // 5)
    return base_url_length + len(_PATH_MARKER) + 26 + 1 + payload_chars


def qr_version_for_length(length: int) -> int | None:
    """Smallest QR version (level M) holding an alphanumeric segment of ``length``
    characters, or None when none does -- the version :func:`make_qr` chooses."""
    from segno import consts as _segno_consts

    # Data bits per (version, error level), from segno's tables (untyped there).
    capacity_bits = cast("Mapping[int, Mapping[int, int]]", _segno_consts.SYMBOL_CAPACITY)
    mode = _segno_consts.MODE_ALPHANUMERIC
    for version in range(1, 41):
        if version < 10:
            span = _segno_consts.VERSION_RANGE_01_09
        elif version < 27:
            span = _segno_consts.VERSION_RANGE_10_26
        else:
            span = _segno_consts.VERSION_RANGE_27_40
        bits = 4 + _segno_consts.CHAR_COUNT_INDICATOR_LENGTH[mode][span]
        bits += 11 * (length // 2) + 6 * (length % 2)
        if bits <= capacity_bits[version][_segno_consts.ERROR_LEVEL_M]:
            return version
    return None


def qr_version_for_claims(claims: CertificateClaims, *, base_url_length: int) -> int | None:
    """QR version the certificate's code will need (None: beyond version 40)."""
    return qr_version_for_length(verification_url_length(base_url_length, claims))


def make_qr(url: str) -> segno.QRCode:
    """QR symbol for ``url``: alphanumeric mode, error correction level M.

    segno may boost the level above M when that fits in the same version
    (it never grows the symbol for it), so the version is the one level M
    needs.  Raises QRTooLargeError above :data:`MAX_QR_VERSION`.
    """
    import segno

    try:
        code = segno.make_qr(url, error=QR_ERROR_LEVEL, mode="alphanumeric", boost_error=True)
    except segno.DataOverflowError:
        raise QRTooLargeError("content does not fit in any QR version") from None
    except ValueError:
        # Lower-case letters or other bytes would silently force byte mode
        # (a much larger symbol); only URLs from build_verification_url belong here.
        raise UrlFormatError("QR content must use the alphanumeric character set") from None
    # segno types the version as int | str because Micro QR versions are "M1".."M4";
    # make_qr builds regular QR codes only, whose versions are ints.
    assert isinstance(code.version, int)
    if code.version > MAX_QR_VERSION:
        raise QRTooLargeError(
            f"QR code needs version {code.version}; at most {MAX_QR_VERSION} allowed"
        )
    return code


def qr_version(url: str) -> int:
    """QR version (1..15) :func:`make_qr` produces for ``url``."""
    return int(make_qr(url).version)


def qr_images(url: str, *, scale: int = 4, border: int = 4) -> tuple[bytes, bytes]:
    """PNG and SVG of one QR symbol for ``url`` (as :func:`qr_png` and :func:`qr_svg`).

    Building the symbol -- above all segno's choice among the eight masks -- costs several
    times writing either file, so both formats come from one symbol.
    """
    code = make_qr(url)
    return _png(code, scale=scale, border=border), _svg(code, border=border)


def qr_png(url: str, *, scale: int = 4, border: int = 4) -> bytes:
    """PNG of the QR symbol; ``scale`` pixels per module, ``border`` quiet-zone modules."""
    return _png(make_qr(url), scale=scale, border=border)


def qr_svg(url: str, *, border: int = 4) -> bytes:
    """SVG of the QR symbol (one module = one user unit; scale it with CSS)."""
    return _svg(make_qr(url), border=border)


def _png(code: segno.QRCode, *, scale: int, border: int) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def _svg(code: segno.QRCode, *, border: int) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="svg", border=border, xmldecl=False, svgns=True)
    return out.getvalue()


def check_code(cose: bytes | CoseSign1) -> str:
    """Short human check code: base32 of SHA-256(signature)[:5], as ``XXXX-XXXX``.

    Printed under the QR code and shown on the verification page, so a reader
    can match paper and screen at a glance.  Not a security mechanism on its
    own (40 bits).  Accepts the bytes or a message already parsed.  Raises
    VerificationError(MALFORMED) for a non-COSE input.
    """
    message = cose if isinstance(cose, CoseSign1) else parse_cose_sign1(cose)
    signature = message.signature
    code = b32encode_nopad(hashlib.sha256(signature).digest()[:5])
    return f"{code[:4]}-{code[4:]}"
