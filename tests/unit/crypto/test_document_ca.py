"""Document CA: the X.509 root, authority signing and timestamp certificates, key protection."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crypto.document_ca import (
    CaCredential,
    DocumentCaError,
    DocumentCaPassphraseError,
    certificate_fields,
    create_root,
    issue_signing_certificate,
    issue_timestamp_certificate,
    issued_by,
    unlock,
)

PASSPHRASE = b"document ca passphrase"
NOW = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
ROOT_NAME = "重庆市职称电子证书根证书"
AUTHORITY_NAME = "渝北区人力资源和社会保障局"
AUTHORITY_CODE = "500112"


@pytest.fixture(scope="module")
def root() -> CaCredential:
    return create_root(name=ROOT_NAME, now=NOW, passphrase=PASSPHRASE)


@pytest.fixture(scope="module")
def authority(root: CaCredential) -> CaCredential:
    return issue_signing_certificate(
        root,
        passphrase=PASSPHRASE,
        authority_code=AUTHORITY_CODE,
        authority_name=AUTHORITY_NAME,
        now=NOW,
    )


@pytest.fixture(scope="module")
def tsa(root: CaCredential) -> CaCredential:
    return issue_timestamp_certificate(root, passphrase=PASSPHRASE, now=NOW)


def _cert(credential: CaCredential) -> x509.Certificate:
    return x509.load_pem_x509_certificate(credential.certificate_pem)


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in certificate.subject.get_attributes_for_oid(oid)]


def _ext(
    certificate: x509.Certificate, kind: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType]:
    return certificate.extensions.get_extension_for_class(kind)


# --- root -------------------------------------------------------------------------------------


def test_root_is_self_signed_p256_sha256(root: CaCredential) -> None:
    cert = _cert(root)
    assert cert.issuer == cert.subject, "root is not self-issued"
    cert.verify_directly_issued_by(cert)  # raises if the self-signature is wrong
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey), "root key is not EC"
    assert isinstance(key.curve, ec.SECP256R1), "root key is not P-256"
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256), "root not signed with SHA-256"


def test_root_subject_is_cn_o_c(root: CaCredential) -> None:
    cert = _cert(root)
    assert _subject(cert, NameOID.COMMON_NAME) == [ROOT_NAME], "root CN is not the given name"
    assert _subject(cert, NameOID.ORGANIZATION_NAME) == ["ecert"], "root O is not ecert"
    assert _subject(cert, NameOID.COUNTRY_NAME) == ["CN"], "root C is not CN"


def test_root_extensions_are_a_pathlen_0_ca(root: CaCredential) -> None:
    cert = _cert(root)
    bc = _ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0, "BasicConstraints wrong"
    ku = _ext(cert, x509.KeyUsage)
    assert ku.critical, "root KeyUsage must be critical"
    assert ku.value.key_cert_sign and ku.value.crl_sign, "root cannot sign certs/CRLs"
    assert not ku.value.digital_signature, "root KeyUsage has more than keyCertSign+cRLSign"
    ski = _ext(cert, x509.SubjectKeyIdentifier)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()), "SKI wrong"


def test_validity_starts_at_now_floored_and_lasts_the_given_years(root: CaCredential) -> None:
    cert = _cert(root)
    assert cert.not_valid_before_utc == NOW.replace(microsecond=0), "not_before is not now"
    assert cert.not_valid_after_utc == NOW.replace(year=2044, microsecond=0), "not 20 years"


def test_chinese_names_are_utf8_strings(authority: CaCredential) -> None:
    # Decoded independently with asn1crypto: the DER must say UTF8String, not a
    # legacy string type that would garble Chinese in some readers.
    der = _cert(authority).public_bytes(serialization.Encoding.DER)
    subject = asn1_x509.Certificate.load(der).subject
    types = {rdn[0]["type"].native: rdn[0]["value"].name for rdn in subject.chosen if len(rdn) == 1}
    assert types["common_name"] == "utf8_string", "CN is not a UTF8String"
    assert types["organizational_unit_name"] == "utf8_string", "OU is not a UTF8String"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        create_root(name="x", now=datetime(2024, 1, 1), passphrase=PASSPHRASE)


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="passphrase"):
        create_root(name="x", now=NOW, passphrase=b"")


# --- authority signing certificate ------------------------------------------------------------


def test_authority_certificate_is_issued_by_root(
    root: CaCredential, authority: CaCredential
) -> None:
    assert issued_by(_cert(authority), _cert(root)), "authority cert does not verify under root"


def test_authority_certificate_is_not_issued_by_another_root(authority: CaCredential) -> None:
    other = create_root(name=ROOT_NAME, now=NOW, passphrase=PASSPHRASE)
    assert not issued_by(_cert(authority), _cert(other)), "same-name root accepted as issuer"


def test_authority_subject_carries_name_and_code(authority: CaCredential) -> None:
    cert = _cert(authority)
    assert _subject(cert, NameOID.COMMON_NAME) == [AUTHORITY_NAME], "CN is not authority_name"
    assert _subject(cert, NameOID.ORGANIZATIONAL_UNIT_NAME) == [AUTHORITY_CODE], "OU wrong"
    assert _subject(cert, NameOID.ORGANIZATION_NAME) == ["ecert"], "O is not ecert"


def test_authority_extensions(root: CaCredential, authority: CaCredential) -> None:
    cert = _cert(authority)
    ku = _ext(cert, x509.KeyUsage)
    assert ku.critical, "authority KeyUsage must be critical"
    assert ku.value.digital_signature, "digitalSignature missing"
    assert ku.value.content_commitment, "nonRepudiation missing"
    assert not ku.value.key_cert_sign, "an end-entity key must not sign certificates"
    assert _ext(cert, x509.BasicConstraints).value.ca is False, "authority cert is a CA"
    aki = _ext(cert, x509.AuthorityKeyIdentifier).value
    root_ski = _ext(_cert(root), x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == root_ski.digest, "AKI does not name the root's key"
    ski = _ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()), "SKI wrong"
    with pytest.raises(x509.ExtensionNotFound):
        _ext(cert, x509.ExtendedKeyUsage)  # no EKU: it would restrict the seal needlessly


def test_serials_are_random_and_distinct(root: CaCredential) -> None:
    serials = {
        _cert(
            issue_signing_certificate(
                root,
                passphrase=PASSPHRASE,
                authority_code=AUTHORITY_CODE,
                authority_name=AUTHORITY_NAME,
                now=NOW,
            )
        ).serial_number
        for _ in range(2)
    }
    assert len(serials) == 2, "two issued certificates share a serial"
    assert all(s.bit_length() > 64 for s in serials), "serial is not a large random number"


def test_end_entity_never_outlives_root() -> None:
    root = create_root(name="short", now=NOW, passphrase=PASSPHRASE, valid_years=2)
    leaf = issue_signing_certificate(
        root, passphrase=PASSPHRASE, authority_code="1", authority_name="a", now=NOW
    )
    assert _cert(leaf).not_valid_after_utc == _cert(root).not_valid_after_utc, "leaf outlives root"


def test_issuing_refuses_an_expired_root() -> None:
    root = create_root(name="old", now=NOW, passphrase=PASSPHRASE, valid_years=1)
    with pytest.raises(DocumentCaError, match="expired"):
        issue_signing_certificate(
            root,
            passphrase=PASSPHRASE,
            authority_code="1",
            authority_name="a",
            now=NOW + timedelta(days=800),
        )


def test_issuing_with_wrong_root_passphrase_is_refused(root: CaCredential) -> None:
    with pytest.raises(DocumentCaPassphraseError):
        issue_signing_certificate(
            root, passphrase=b"wrong", authority_code="1", authority_name="a", now=NOW
        )


def test_separate_root_passphrase(root: CaCredential) -> None:
    leaf = issue_signing_certificate(
        root,
        passphrase=b"leaf passphrase",
        root_passphrase=PASSPHRASE,
        authority_code="1",
        authority_name="a",
        now=NOW,
    )
    assert unlock(leaf, b"leaf passphrase").certificate == _cert(leaf), (
        "leaf key not under its own passphrase"
    )


def test_an_end_entity_credential_cannot_issue(authority: CaCredential) -> None:
    with pytest.raises(DocumentCaError, match="not a CA"):
        issue_signing_certificate(
            authority, passphrase=PASSPHRASE, authority_code="1", authority_name="a", now=NOW
        )


# --- timestamp certificate --------------------------------------------------------------------


def test_timestamp_certificate(root: CaCredential, tsa: CaCredential) -> None:
    cert = _cert(tsa)
    assert issued_by(cert, _cert(root)), "TSA cert does not verify under root"
    eku = _ext(cert, x509.ExtendedKeyUsage)
    assert eku.critical, "RFC 3161 requires the timeStamping EKU to be critical"
    assert list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING], "EKU is not timeStamping only"
    assert _ext(cert, x509.BasicConstraints).value.ca is False, "TSA cert is a CA"


# --- key protection ---------------------------------------------------------------------------


def test_unlock_returns_the_certificates_key(authority: CaCredential) -> None:
    unlocked = unlock(authority, PASSPHRASE)
    assert unlocked.certificate == _cert(authority), "unlocked certificate differs"
    assert unlocked.private_key.public_key() == unlocked.certificate.public_key(), "key mismatch"


def test_wrong_passphrase_is_refused(authority: CaCredential) -> None:
    with pytest.raises(DocumentCaPassphraseError):
        unlock(authority, b"not the passphrase")


def test_passphrase_error_is_a_document_ca_error() -> None:
    assert issubclass(DocumentCaPassphraseError, DocumentCaError), "hierarchy changed"
    assert issubclass(DocumentCaError, ValueError), "DocumentCaError must be a ValueError"


def test_key_pem_is_standard_pkcs8_under_scrypt_hex_password(authority: CaCredential) -> None:
    # Recompute the documented scheme independently (hashlib, not the module).
    cert = _cert(authority)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    salt = b"ecert-document-ca:" + hashlib.sha256(spki).digest()
    password = hashlib.scrypt(PASSPHRASE, salt=salt, n=2**15, r=8, p=1, dklen=32, maxmem=2**26)
    assert authority.encrypted_key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    key = serialization.load_pem_private_key(authority.encrypted_key_pem, password.hex().encode())
    assert key.public_key() == cert.public_key(), "documented key protection scheme not used"


def test_broken_key_pem_is_a_document_ca_error_not_a_passphrase_error(
    authority: CaCredential,
) -> None:
    broken = dataclasses.replace(authority, encrypted_key_pem=b"not a pem")
    with pytest.raises(DocumentCaError) as info:
        unlock(broken, PASSPHRASE)
    assert not isinstance(info.value, DocumentCaPassphraseError), "broken PEM blamed on passphrase"


def test_broken_certificate_pem_is_refused(authority: CaCredential) -> None:
    broken = dataclasses.replace(authority, certificate_pem=b"-----BEGIN CERTIFICATE-----\nxx")
    with pytest.raises(DocumentCaError):
        unlock(broken, PASSPHRASE)


def test_key_of_another_certificate_is_refused(root: CaCredential, authority: CaCredential) -> None:
    swapped = CaCredential(
        certificate_pem=root.certificate_pem, encrypted_key_pem=authority.encrypted_key_pem
    )
    # The salt comes from the (root's) certificate, so the password is wrong too.
    with pytest.raises(DocumentCaError):
        unlock(swapped, PASSPHRASE)


def test_repr_does_not_leak_the_key(authority: CaCredential) -> None:
    assert b"ENCRYPTED" not in repr(authority).encode(), "encrypted key in repr"
    assert "private_key" not in repr(unlock(authority, PASSPHRASE)), "private key in repr"


# --- listing ----------------------------------------------------------------------------------


def test_certificate_fields(authority: CaCredential) -> None:
    fields = certificate_fields(authority.certificate_pem)
    cert = _cert(authority)
    assert fields.common_name == AUTHORITY_NAME, "common_name"
    assert fields.authority_code == AUTHORITY_CODE, "authority_code"
    assert fields.not_before == NOW.replace(microsecond=0), "not_before"
    assert fields.not_after == NOW.replace(year=2029, microsecond=0), "not_after (5 years)"
    assert (
        fields.sha256_fingerprint
        == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    ), "fingerprint"
    assert fields.serial_number == cert.serial_number, "serial"
    assert fields.is_ca is False, "is_ca"


def test_certificate_fields_of_root(root: CaCredential) -> None:
    fields = certificate_fields(root.certificate_pem)
    assert (fields.common_name, fields.authority_code, fields.is_ca) == (ROOT_NAME, None, True)


def test_certificate_fields_of_garbage() -> None:
    with pytest.raises(DocumentCaError):
        certificate_fields(b"garbage")
