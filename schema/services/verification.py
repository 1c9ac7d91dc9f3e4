"""Public verification: a scanned QR code → one state.

The verdict is exactly one of four states (``VerificationState``):

* 有效 (VALID): the signature checks against the published keys *within the key's window*,
  the certificate id exists, the scanned COSE bytes are exactly the stored ones, and the
  record is current;
* 已更正 (SUPERSEDED): as above, but a correction issued a newer version (linked);
* 已撤销 (REVOKED): as above, but the authority revoked it (public reason category + date;
  the private note never leaves the database);
* 无法验证 (UNVERIFIABLE): anything else — bad encoding, unknown key, bad signature, a
  signature outside its key's window, an unknown certificate id, or a payload that verifies
  but is not the one we issued (a stolen key signing backdated claims). Which check failed
  goes to the log only (see ``docs/verification-format.md`` §7).

Comparing the scanned bytes with the stored ones is what makes the online answer stronger
than offline verification: a key revoked *after* a compromise still verifies signatures
backdated into its window, but those payloads are not in the register.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from crypto import (
    KeyWindow,
    PublicKeyInfo,
    VerificationError,
    VerificationReason,
    VerifiedClaims,
    check_code,
    parse_verification_url,
    verify_cose,
    verify_url,
)
from crypto.qr import normalize_base_url
from schema.enums import Provenance, VerificationState
from schema.models import Certificate, CertificateStatus, SigningKey
from schema.reference.catalog import Catalog
from schema.storage import BlobNotFound, BlobStore

__all__ = [
    "PublicCertificate",
    "VerificationOutcome",
    "certificate_photo",
    "outcome_for_record",
    "public_keys",
    "verification_path",
    "verify_scanned",
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
        return self.state is not VerificationState.UNVERIFIABLE


def _unverifiable(now: datetime) -> VerificationOutcome:
    return VerificationOutcome(state=VerificationState.UNVERIFIABLE, checked_at=now)


async def public_keys() -> list[PublicKeyInfo]:
    """Every key's public half and window (never loads the encrypted private keys)."""
    rows = (
        await SigningKey.all()
        .order_by("not_before", "id")
        .values("kid", "public_key", "not_before", "retired_at", "revoked_at")
    )
    return [
        PublicKeyInfo(
            kid=row["kid"],
            public_key=bytes(row["public_key"]),
            window=KeyWindow(
                not_before=row["not_before"],
                retired_at=row["retired_at"],
                revoked_at=row["revoked_at"],
            ),
        )
        for row in rows
    ]


def verification_path(verification_url: str) -> str:
    """``/V/{CERT_ID}/{PAYLOAD}`` of an official verification URL (the origin dropped)."""
    marker = verification_url.upper().find("/V/")
    return verification_url[marker:] if marker >= 0 else verification_url


def _public(
    verified: VerifiedClaims, cose: bytes, cert: Certificate, catalog: Catalog
) -> PublicCertificate:
    claims = verified.claims
    return PublicCertificate(
        cert_id=claims.cert_id,
        version=claims.version,
        number=claims.number,
        holder_name=claims.holder_name,
        holder_id_masked=claims.holder_id_masked,
        has_photo=bool(cert.photo_sha256),
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
        kid=verified.kid,
        signed_at=claims.signed_at,
        check_code=check_code(cose),
    )


async def _current_version(cert: Certificate) -> CurrentVersion | None:
    current = cert
    for _ in range(_MAX_CHAIN):
        if current.superseded_by_id is None:
            break
        current = await Certificate.get(id=current.superseded_by_id)
    if current.id == cert.id or not current.verification_url:
        return None
    return CurrentVersion(
        cert_id=current.cert_id,
        version=current.version,
        verification_url=current.verification_url,
        path=verification_path(current.verification_url),
    )


async def _decide(
    verified: VerifiedClaims, cose: bytes, cert: Certificate, *, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    public = _public(verified, cose, cert, catalog)
    if cert.status is CertificateStatus.SUPERSEDED:
        return VerificationOutcome(
            state=VerificationState.SUPERSEDED,
            checked_at=now,
            certificate=public,
            superseded_at=cert.superseded_at,
            current_version=await _current_version(cert),
        )
    if cert.status is CertificateStatus.REVOKED:
        code = cert.revocation_reason
        return VerificationOutcome(
            state=VerificationState.REVOKED,
            checked_at=now,
            certificate=public,
            revoked_at=cert.revoked_at,
            revocation_reason_code=code,
            revocation_reason_name=catalog.name_of("revocation_reason", code),
        )
    return VerificationOutcome(state=VerificationState.VALID, checked_at=now, certificate=public)


async def _verdict(
    cert_id: str,
    cose: bytes,
    verify: Callable[[list[PublicKeyInfo]], VerifiedClaims],
    *,
    catalog: Catalog,
    now: datetime,
) -> VerificationOutcome:
    """Signature first (no database work for garbage), then the register."""
    keys = await public_keys()
    try:
        verified = verify(keys)
    except VerificationError as exc:
        _log.info("verification failed", extra={"reason": exc.reason.value, "cert": cert_id[:6]})
        return _unverifiable(now)
    cert = await Certificate.get_or_none(cert_id=verified.claims.cert_id)
    if cert is None:
        _log.info("verification failed", extra={"reason": "unknown_certificate"})
        return _unverifiable(now)
    if cert.signed_payload is None or bytes(cert.signed_payload) != cose:
        # Genuinely signed, yet not what we issued under this id: a forgery with a stolen
        # key, or a payload from another deployment. Never "valid".
        _log.warning(
            "verification failed", extra={"reason": "payload_mismatch", "cert": cert_id[:6]}
        )
        return _unverifiable(now)
    return await _decide(verified, cose, cert, catalog=catalog, now=now)


async def verify_scanned(
    *, cert_id: str, payload: str, public_base_url: str, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for a request to ``/V/{cert_id}/{payload}`` on the official origin.

    The URL is rebuilt on the *configured* origin (never the request's Host), so the check
    is exactly the one a third-party verifier makes on the text in the QR code.
    """
    text = f"{normalize_base_url(public_base_url)}/V/{cert_id}/{payload}"
    return await verify_text(text=text, public_base_url=public_base_url, catalog=catalog, now=now)


async def verify_text(
    *, text: str, public_base_url: str, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for the text of a QR code (the full verification URL)."""
    try:
        cert_id, cose = parse_verification_url(text, expected_base=public_base_url)
    except ValueError:
        _log.info("verification failed", extra={"reason": VerificationReason.MALFORMED.value})
        return _unverifiable(now)

    def check(keys: Iterable[PublicKeyInfo]) -> VerifiedClaims:
        return verify_url(text, keys, expected_base=public_base_url)

    return await _verdict(cert_id, cose, check, catalog=catalog, now=now)


async def outcome_for_record(
    cert: Certificate, *, catalog: Catalog, now: datetime
) -> VerificationOutcome:
    """The verdict for a stored certificate (the lookup form): its own signature is checked
    against the published keys exactly as a scanned one would be."""
    cose = bytes(cert.signed_payload or b"")

    def check(keys: Iterable[PublicKeyInfo]) -> VerifiedClaims:
        verified = verify_cose(cose, keys)
        if verified.claims.cert_id != cert.cert_id:
            raise VerificationError(VerificationReason.MALFORMED)
        return verified

    return await _verdict(cert.cert_id, cose, check, catalog=catalog, now=now)


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
