"""Public verification: a scanned QR code → one state.

The verdict is exactly one of five states (``VerificationState``):

* 有效 (VALID): the signature checks against the published keys *within the key's window*,
  the certificate id exists, the scanned COSE bytes are exactly the stored ones, and the
  record is current;
* 已更正 (SUPERSEDED): as above, but a correction issued a newer version (linked);
* 已撤销 (REVOKED): as above, but the authority revoked it (public reason category + date;
  the private note never leaves the database);
* 无法验证 (UNVERIFIABLE): anything else — bad encoding, unknown key, bad signature, a
  signature outside its key's window, an unknown certificate id, or a payload that verifies
  but is not the one we issued (a stolen key signing backdated claims). Which check failed
  goes to the log only (see ``docs/verification-format.md`` §7);
* 签名密钥已停用，请持证人重新获取证书 (KEY_REVOKED): the one exception to the above: the
  signature falls after its key's revocation instant, yet the scanned bytes are exactly
  the stored payload of that certificate id, which is current or was superseded (by its
  re-issue under the new key: ``schema.services.key_reissue``). The register vouches that
  we issued it; the signature no longer does, so it is never "valid" (linked to the
  current version when there is one). A forged payload under the revoked key matches no
  stored payload and stays 无法验证.

Comparing the scanned bytes with the stored ones is what makes the online answer stronger
than offline verification: a key revoked *after* a compromise still verifies signatures
backdated into its window, but those payloads are not in the register.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from crypto import (
    KeyRecordError,
    KeyWindow,
    PublicKeyInfo,
    UrlFormatError,
    VerificationError,
    VerificationReason,
    VerifiedClaims,
    check_code,
    parse_verification_url,
)
from crypto.qr import parse_verification_path
from crypto.signing import CoseSign1, parse_cose_sign1, verify_sign1
from schema.enums import Provenance, VerificationState
from schema.models import Certificate, CertificateStatus
from schema.reference.catalog import Catalog
from schema.services.bounded_cache import BoundedCache
from schema.services.scan_register import ChainLink, ScanRow, read_chain_link, read_scan_row
from schema.storage import BlobNotFound, BlobStore

__all__ = [
    "CurrentVersion",
    "PublicCertificate",
    "VerificationOutcome",
    "certificate_photo",
    "outcome_for_record",
    "verification_path",
    "verify_scanned",
    "verify_stored",
    "verify_text",
]

_log = logging.getLogger("ecert.verify")
# A correction chain longer than this is a data error, not a real history.
_MAX_CHAIN = 50
_CERT_ID_RE = re.compile(r"[A-Z2-7]{26}")


@dataclass(frozen=True, kw_only=True)
class PublicCertificate:
    """What the public may see of a certificate: the signed claims, with names for codes.

    Built from the *verified claims* (what the QR vouches for), never from free columns,
    so the page cannot show more personal data than the paper already carries.
    """

    cert_id: str
    version: int
    number: str
    holder_name: str
    holder_id_masked: str
    has_photo: bool
    title_name: str
    level_code: str
    level_name: str
    series_code: str
    series_name: str
    specialty: str
    authority_code: str
    authority_name: str
    review_body: str
    obtained_on: date
    issued_on: date
    provenance: str
    provenance_label: str
    kid: str
    signed_at: datetime
    check_code: str


@dataclass(frozen=True, kw_only=True)
class CurrentVersion:
    cert_id: str
    version: int
    verification_url: str
    path: str


@dataclass(frozen=True, kw_only=True)
class VerificationOutcome:
    """The one verdict, plus what may be shown with it."""

    state: VerificationState
    checked_at: datetime
    certificate: PublicCertificate | None = None
    superseded_at: datetime | None = None
    current_version: CurrentVersion | None = None
    revoked_at: datetime | None = None
    revocation_reason_code: str | None = None
    revocation_reason_name: str | None = None

    @property
    def signature_verified(self) -> bool:
        return self.state not in (VerificationState.UNVERIFIABLE, VerificationState.KEY_REVOKED)


@dataclass(frozen=True, slots=True)
class _View:
    catalog: Catalog
    has_photo: bool
    public: PublicCertificate


@dataclass(slots=True)
class _Checked:
    """The CPU work of one scanned payload under one key state: the verified claims (or
    why not), and the public view built from them once per catalog."""

    verified: VerifiedClaims | None
    failure: str | None
    check_code: str
    view: _View | None = None


#: Signature checks by (scanned bytes, public key, key window). The key holds everything
#: the check depends on, so an entry is never stale; the certificate's state is not in it
#: and is read from the register on every scan.
_CHECKED: BoundedCache[tuple[object, ...], _Checked] = BoundedCache(maxsize=4096)
#: Structurally valid payloads, parsed (a pure function of the bytes; garbage is not kept),
#: and the path parts of scanned URLs decoded (pure base32 costs more than the query).
_PARSED: BoundedCache[bytes, CoseSign1] = BoundedCache(maxsize=4096)
_PATHS: BoundedCache[tuple[str, str], tuple[str, bytes]] = BoundedCache(maxsize=4096)


def _unverifiable(now: datetime) -> VerificationOutcome:
    return VerificationOutcome(state=VerificationState.UNVERIFIABLE, checked_at=now)


def verification_path(verification_url: str) -> str:
    """``/V/{CERT_ID}/{PAYLOAD}`` of an official verification URL (the origin dropped)."""
    marker = verification_url.upper().find("/V/")
    return verification_url[marker:] if marker >= 0 else verification_url


def _public(checked: _Checked, has_photo: bool, catalog: Catalog) -> PublicCertificate:
    assert checked.verified is not None
    claims = checked.verified.claims
    return PublicCertificate(
        cert_id=claims.cert_id,
        version=claims.version,
        number=claims.number,
        holder_name=claims.holder_name,
        holder_id_masked=claims.holder_id_masked,
        has_photo=has_photo,
        title_name=claims.title_name,
        level_code=claims.level,
        level_name=catalog.name_of("level", claims.level) or claims.level,
        series_code=claims.series_code,
        series_name=catalog.name_of("series", claims.series_code) or claims.series_code,
        specialty=claims.specialty,
        authority_code=claims.authority_code,
        authority_name=catalog.name_of("authority", claims.authority_code) or claims.authority_code,
        review_body=claims.review_body,
        obtained_on=claims.obtained_on,
        issued_on=claims.issued_on,
        provenance=claims.provenance,
        provenance_label=Provenance.label_of(claims.provenance),
        kid=checked.verified.kid,
        signed_at=claims.signed_at,
        check_code=checked.check_code,
    )


async def _current_version(row: ScanRow) -> CurrentVersion | None:
    """The newest version of a superseded certificate (one query per link; rare)."""
    link: ChainLink | None = None
    next_id = row.superseded_by_id
    for _ in range(_MAX_CHAIN):
        if next_id is None:
            break
        found = await read_chain_link(next_id)
        if found is None:
            break
        link, next_id = found, found.superseded_by_id
    if link is None or not link.verification_url:
        return None
    return CurrentVersion(
        cert_id=link.cert_id,
        version=link.version,
        verification_url=link.verification_url,
        path=verification_path(link.verification_url),
    )


def _check(cert_id: str, message: CoseSign1, cose: bytes, row: ScanRow) -> _Checked:
    """The signature check of ``cose`` under the key state in ``row``, cached by both: a
    change of the key's window (retired, revoked) is a different entry."""
    key = (cose, row.public_key, row.not_before, row.retired_at, row.key_revoked_at)
    cached = _CHECKED.get(key)
    if cached is not None:
        return cached
    try:
        info = PublicKeyInfo(
            kid=message.kid,
            public_key=row.public_key,
            window=KeyWindow(
                not_before=row.not_before, retired_at=row.retired_at, revoked_at=row.key_revoked_at
            ),
        )
        verified = verify_sign1(message, [info])
        if verified.claims.cert_id != cert_id:
            raise VerificationError(VerificationReason.MALFORMED)
    except VerificationError as exc:
        checked = _Checked(verified=None, failure=exc.reason.value, check_code="")
    except KeyRecordError:  # a stored key whose kid is not its public key's: never trust it
        checked = _Checked(verified=None, failure="bad_key_record", check_code="")
    else:
        checked = _Checked(verified=verified, failure=None, check_code=check_code(message))
    _CHECKED.put(key, checked)
    return checked


def _view(checked: _Checked, row: ScanRow, catalog: Catalog) -> PublicCertificate:
    """The public certificate of a checked scan, built once per catalog and photo state."""
    view = checked.view
    if view is not None and view.catalog is catalog and view.has_photo == row.has_photo:
        return view.public
    public = _public(checked, row.has_photo, catalog)
    checked.view = _View(catalog=catalog, has_photo=row.has_photo, public=public)
    return public


def _issued_before_key_revoked(checked: _Checked, row: ScanRow) -> bool:
    """Our own stored payload, refused only because its key was revoked from before its
    signature: the bytes equal the stored ones (the register decides, not the claims) and
    the version is current or superseded (a revoked certificate stays 无法验证)."""
    return (
        checked.failure == VerificationReason.KEY_WINDOW.value
        and row.same_payload
        and row.status in (CertificateStatus.VALID, CertificateStatus.SUPERSEDED)
        and row.key_revoked_at is not None
        and row.signed_at is not None
        and row.signed_at >= row.key_revoked_at
    )


def _reject(now: datetime, reason: str, cert_id: str) -> VerificationOutcome:
    _log.info("verification failed", extra={"reason": reason, "cert": cert_id[:6]})
    return _unverifiable(now)


async def _verdict(
    cert_id: str, cose: bytes, *, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """Parse the payload once (garbage costs no database work), read the register once,
    check the signature (cached), then decide by the certificate's current state."""
    message = _PARSED.get(cose)
    if message is None:
        try:
            message = parse_cose_sign1(cose)
        except VerificationError as exc:
            return _reject(now, exc.reason.value, cert_id)
        _PARSED.put(cose, message)
    row = await read_scan_row(kid=message.kid, cert_id=cert_id, cose=cose)
    if row is None:
        return _reject(now, VerificationReason.UNKNOWN_KEY.value, cert_id)
    checked = _check(cert_id, message, cose, row)
    if checked.failure is not None:
        if _issued_before_key_revoked(checked, row):
            return VerificationOutcome(
                state=VerificationState.KEY_REVOKED,
                checked_at=now,
                superseded_at=row.superseded_at,
                current_version=await _current_version(row),
            )
        return _reject(now, checked.failure, cert_id)
    if row.status is None:
        return _reject(now, "unknown_certificate", cert_id)
    if not row.same_payload:
        # Genuinely signed, yet not what we issued under this id: a forgery with a stolen
        # key, or a payload from another deployment. Never "valid".
        _log.warning(
            "verification failed", extra={"reason": "payload_mismatch", "cert": cert_id[:6]}
        )
        return _unverifiable(now)
    public = _view(checked, row, catalog)
    if row.status is CertificateStatus.SUPERSEDED:
        return VerificationOutcome(
            state=VerificationState.SUPERSEDED,
            checked_at=now,
            certificate=public,
            superseded_at=row.superseded_at,
            current_version=await _current_version(row),
        )
    if row.status is CertificateStatus.REVOKED:
        code = row.revocation_reason
        return VerificationOutcome(
            state=VerificationState.REVOKED,
            checked_at=now,
            certificate=public,
            revoked_at=row.revoked_at,
            revocation_reason_code=code,
            revocation_reason_name=catalog.name_of("revocation_reason", code),
        )
    return VerificationOutcome(state=VerificationState.VALID, checked_at=now, certificate=public)


async def verify_scanned(
    *, cert_id: str, payload: str, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for a request to ``/V/{cert_id}/{payload}`` on this service.

    The request reached this service, so the origin checked is by construction the
    configured one (``ECERT_PUBLIC_BASE_URL``; the Host header plays no part): only the path
    is parsed, once.
    """
    parsed = _PATHS.get((cert_id, payload))
    if parsed is None:
        try:
            parsed = parse_verification_path(cert_id, payload)
        except UrlFormatError:
            return _reject(now, VerificationReason.MALFORMED.value, "")
        _PATHS.put((cert_id, payload), parsed)
    return await _verdict(parsed[0], parsed[1], catalog=catalog, now=now)


async def verify_text(
    *, text: str, public_base_url: str, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for the text of a QR code (the full verification URL, on the official
    origin ``public_base_url``)."""
    try:
        cert_id, cose = parse_verification_url(text, expected_base=public_base_url)
    except UrlFormatError:
        return _reject(now, VerificationReason.MALFORMED.value, "")
    return await _verdict(cert_id, cose, catalog=catalog, now=now)


async def verify_stored(
    *, cert_id: str, signed_payload: bytes | None, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for a stored certificate (the lookup form): its own signed payload is
    checked against the published keys exactly as a scanned one would be."""
    return await _verdict(cert_id, bytes(signed_payload or b""), catalog=catalog, now=now)


async def outcome_for_record(
    cert: Certificate, *, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """:func:`verify_stored` for a loaded certificate."""
    return await verify_stored(
        cert_id=cert.cert_id, signed_payload=cert.signed_payload, catalog=catalog, now=now
    )


async def certificate_photo(*, cert_id: str, store: BlobStore) -> bytes | None:
    """The photo printed on an issued certificate, or None. Only certificates' photos: a
    registration's photo is never reachable from here. Raises BlobNotFound when the
    certificate has a photo whose file is missing (not derivable: the page says so)."""
    if not _CERT_ID_RE.fullmatch(cert_id.upper()):
        return None
    cert = await Certificate.get_or_none(cert_id=cert_id.upper()).only("id", "photo_sha256")
    if cert is None or not cert.photo_sha256:
        return None
    try:
        return await store.get(cert.photo_sha256)
    except BlobNotFound:
        _log.error("certificate photo missing from the store", extra={"cert": cert_id[:6]})
        raise
