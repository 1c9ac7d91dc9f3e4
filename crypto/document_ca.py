"""A small X.509 hierarchy for sealing certificate PDF documents.

The COSE/QR signatures (``crypto.signing``) use bare Ed25519 keys; PDF
readers, however, only understand signatures backed by X.509 certificates.
This module makes the certificates that the PAdES seal in
``crypto.pdf_signature`` needs:

* one self-signed **root** CA per deployment (``create_root``);
* one **signing certificate** per issuing authority, issued by the root
  (``issue_signing_certificate``): its subject carries the authority name
  (CN) and the authority code (OU), so a validator can tell which authority
  sealed a document;
* optionally one **timestamp certificate** for the in-process timestamp
  authority (``issue_timestamp_certificate``).

All keys are ECDSA P-256 and every certificate is signed with ECDSA-SHA256:
small signatures, accepted by Adobe Reader, poppler and pyHanko alike.  The
root's ``pathLenConstraint`` is 0, so it can issue end-entity certificates
only.  Names are UTF8String, so Chinese names survive.  Validity starts at
``now`` floored to the second (no backdating: callers inject the time) and an
end-entity certificate never outlives its root.

Private key protection
----------------------
Same scheme as the signing keys in ``crypto.keys``: the passphrase is
stretched with scrypt (``N=2**15, r=8, p=1``) and the lower-case hex of the
32-byte result is the password of a standard encrypted PKCS#8 PEM.  The salt
is ``b"ecert-document-ca:" + SHA-256(SubjectPublicKeyInfo DER)`` of the
certificate's public key, so it is derivable from the certificate PEM stored
beside the key and differs from every Ed25519 signing key's salt.  ``openssl
pkey -passin pass:<hex>`` opens the PEM.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crypto._util import require_utc
from crypto.errors import CryptoError

# One set of scrypt costs for every passphrase-protected key in the package.
from crypto.keys import _SCRYPT_N, _SCRYPT_P, _SCRYPT_R

__all__ = [
    "CaCredential",
    "CertificateFields",
    "DocumentCaError",
    "DocumentCaPassphraseError",
    "UnlockedCredential",
    "certificate_fields",
    "create_root",
    "issue_signing_certificate",
    "issue_timestamp_certificate",
    "issued_by",
    "unlock",
]

ORGANIZATION = "ecert"
COUNTRY = "CN"

_SCRYPT_SALT_PREFIX = b"ecert-document-ca:"
_HASH = hashes.SHA256()
_TIMESTAMP_SUBJECT = "ecert 时间戳服务"


class DocumentCaError(CryptoError, ValueError):
    """A CA credential or certificate is malformed or inconsistent."""


class DocumentCaPassphraseError(DocumentCaError):
    """The passphrase does not decrypt the credential's private key."""


@dataclass(frozen=True)
class CaCredential:
    """A certificate and its private key, as stored.

    ``encrypted_key_pem`` is an encrypted PKCS#8 PEM (see module docstring);
    it is kept out of ``repr`` so logs never carry it.
    """

    certificate_pem: bytes
    encrypted_key_pem: bytes = field(repr=False)


@dataclass(frozen=True)
class UnlockedCredential:
    """A certificate with its decrypted private key, ready to sign."""

    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    certificate: x509.Certificate


@dataclass(frozen=True)
class CertificateFields:
    """What a listing shows about a certificate."""

    common_name: str | None
    authority_code: str | None  # the subject OU; None for the root and the TSA
    serial_number: int
    not_before: datetime  # UTC
    not_after: datetime  # UTC
    sha256_fingerprint: str  # lower-case hex of SHA-256 over the DER certificate
    is_ca: bool


def _pkcs8_password(passphrase: bytes, public_key: ec.EllipticCurvePublicKey) -> bytes:
    if not isinstance(passphrase, bytes) or not passphrase:
        raise ValueError("passphrase must be non-empty bytes")
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kdf = Scrypt(
        salt=_SCRYPT_SALT_PREFIX + hashlib.sha256(spki).digest(),
        length=32,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
    )
    return kdf.derive(passphrase).hex().encode("ascii")


def _seal(
    key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, passphrase: bytes
) -> CaCredential:
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_pkcs8_password(passphrase, key.public_key())),
    )
    return CaCredential(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        encrypted_key_pem=encrypted,
    )


def _load_certificate(pem: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except (TypeError, ValueError):
        raise DocumentCaError("not a PEM X.509 certificate") from None
    if not isinstance(certificate.public_key(), ec.EllipticCurvePublicKey):
        raise DocumentCaError("certificate key is not an EC key")
    return certificate


def _add_years(value: datetime, years: int) -> datetime:
    if years < 1:
        raise ValueError("valid_years must be at least 1")
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return value.replace(year=value.year + years, day=28)


def _window(now: datetime, valid_years: int) -> tuple[datetime, datetime]:
    not_before = require_utc(now, "now").replace(microsecond=0)
    return not_before, _add_years(not_before, valid_years)


def unlock(credential: CaCredential, passphrase: bytes) -> UnlockedCredential:
    """Decrypt ``credential``'s private key.

    Raises DocumentCaPassphraseError for a wrong passphrase, DocumentCaError
    for a broken PEM, an unencrypted key or a key that does not belong to the
    certificate.
    """
    certificate = _load_certificate(credential.certificate_pem)
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)  # checked on load
    password = _pkcs8_password(passphrase, public_key)
    try:
        key = serialization.load_pem_private_key(credential.encrypted_key_pem, password)
    except TypeError:
        # cryptography raises TypeError when the PEM is not encrypted at all.
        raise DocumentCaError("stored private key is not encrypted") from None
    except ValueError:
        # A wrong password and a mangled PEM look alike to OpenSSL; tell the
        # PEM armour apart so an operator is not sent hunting passphrases.
        if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in credential.encrypted_key_pem:
            raise DocumentCaError("stored private key is not an encrypted PKCS#8 PEM") from None
        # ``from None``: no chance of secrets riding along in the context.
        raise DocumentCaPassphraseError("wrong passphrase for the document CA key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise DocumentCaError("stored key is not an EC key")
    if key.public_key() != public_key:
        raise DocumentCaError("stored private key does not match the certificate")
    return UnlockedCredential(private_key=key, certificate=certificate)


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    if not common_name:
        raise ValueError("a certificate needs a non-empty name")
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if unit is not None:
        if not unit:
            raise ValueError("authority_code must be non-empty")
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes += [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
    ]
    return x509.Name(attributes)


_NO_KEY_USAGE = {
    "digital_signature": False,
    "content_commitment": False,
    "key_encipherment": False,
    "data_encipherment": False,
    "key_agreement": False,
    "key_cert_sign": False,
    "crl_sign": False,
    "encipher_only": False,
    "decipher_only": False,
}


def _key_usage(**set_bits: bool) -> x509.KeyUsage:
    return x509.KeyUsage(**{**_NO_KEY_USAGE, **set_bits})


def create_root(
    *, name: str, now: datetime, passphrase: bytes, valid_years: int = 20
) -> CaCredential:
    """A new self-signed root CA valid from ``now`` for ``valid_years`` years.

    Subject ``CN=name, O=ecert, C=CN``; BasicConstraints CA with pathlen 0 and
    KeyUsage keyCertSign + cRLSign, both critical; SubjectKeyIdentifier.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    not_before, not_after = _window(now, valid_years)
    subject = _name(name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _HASH)
    )
    return _seal(key, certificate, passphrase)


def _issue(
    root: CaCredential,
    root_passphrase: bytes,
    *,
    subject: x509.Name,
    now: datetime,
    valid_years: int,
    extensions: list[tuple[x509.ExtensionType, bool]],
    passphrase: bytes,
) -> CaCredential:
    issuer = unlock(root, root_passphrase)
    constraints = issuer.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    if not constraints.value.ca:
        raise DocumentCaError("the issuing credential is not a CA")
    not_before, not_after = _window(now, valid_years)
    # Never outlive the root: a chain is only valid while every link is.
    not_after = min(not_after, issuer.certificate.not_valid_after_utc)
    if not_after <= not_before:
        raise DocumentCaError("the root CA has expired")
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski.value),
            critical=False,
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    certificate = builder.sign(issuer.private_key, _HASH)
    return _seal(key, certificate, passphrase)


def issue_signing_certificate(
    root: CaCredential,
    *,
    passphrase: bytes,
    authority_code: str,
    authority_name: str,
    now: datetime,
    valid_years: int = 5,
    root_passphrase: bytes | None = None,
) -> CaCredential:
    """An end-entity certificate with which one issuing authority seals PDFs.

    Subject ``CN=authority_name, OU=authority_code, O=ecert, C=CN``; KeyUsage
    digitalSignature + nonRepudiation (critical), BasicConstraints CA=false,
    AuthorityKeyIdentifier, SubjectKeyIdentifier, random serial.

    ``passphrase`` protects the new key and also unlocks ``root`` unless a
    separate ``root_passphrase`` is given.
    """
    return _issue(
        root,
        passphrase if root_passphrase is None else root_passphrase,
        subject=_name(authority_name, authority_code),
        now=now,
        valid_years=valid_years,
        extensions=[
            (_key_usage(digital_signature=True, content_commitment=True), True),
        ],
        passphrase=passphrase,
    )


def issue_timestamp_certificate(
    root: CaCredential,
    *,
    passphrase: bytes,
    now: datetime,
    valid_years: int = 5,
    root_passphrase: bytes | None = None,
    name: str = _TIMESTAMP_SUBJECT,
) -> CaCredential:
    """A certificate for the local RFC 3161 timestamp authority.

    ExtendedKeyUsage timeStamping only, critical (RFC 3161 §2.3); KeyUsage
    digitalSignature (critical).  Passphrases as in
    :func:`issue_signing_certificate`.
    """
    return _issue(
        root,
        passphrase if root_passphrase is None else root_passphrase,
        subject=_name(name),
        now=now,
        valid_years=valid_years,
        extensions=[
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
        ],
        passphrase=passphrase,
    )


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def certificate_fields(pem: bytes) -> CertificateFields:
    """Subject CN and OU, validity, serial and SHA-256 fingerprint of a PEM certificate.

    Raises DocumentCaError if ``pem`` is not a PEM EC certificate.
    """
    certificate = _load_certificate(pem)
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return CertificateFields(
        common_name=_attribute(certificate.subject, NameOID.COMMON_NAME),
        authority_code=_attribute(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME),
        serial_number=certificate.serial_number,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha256_fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        is_ca=is_ca,
    )


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True iff ``issuer``'s key signed ``certificate`` and the names chain."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
