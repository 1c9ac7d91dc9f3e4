"""The certificate as a W3C Verifiable Credential 2.0, secured with ``eddsa-jcs-2022``.

Three pieces, all pure (no database, no network):

* :func:`issuer_did` / :func:`did_document` -- the issuer is ``did:web`` of the public
  origin (``did:web:verify.example``, a port as ``%3A8443``); its DID document lists every
  signing key as a ``Multikey`` (``publicKeyMultibase`` = ``z`` + base58btc(``0xed 0x01`` +
  raw key)) named ``{did}#{kid}`` and referenced from ``assertionMethod``.  A revoked key
  carries ``revoked`` (its revocation instant).
* :func:`credential` / :func:`secure_credential` -- the unsecured credential built from the
  signed :class:`~crypto.canonical.CertificateClaims`, and the Data Integrity proof added
  to it (W3C vc-di-eddsa §3.3.1 "Create Proof (eddsa-jcs-2022)").
* :func:`verify_vc` -- vc-di-eddsa §3.3.2 "Verify Proof (eddsa-jcs-2022)", with the
  verification method looked up in the given DID document.

``docs/verification-format.md`` §14 describes the format and carries a worked example.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto._util import require_utc
from crypto.canonical import CertificateClaims
from crypto.errors import CryptoError
from crypto.jcs import JcsError, canonicalize
from crypto.keys import PublicKeyInfo
from crypto.status_list import STATUS_MESSAGES, STATUS_SIZE, status_list_path

__all__ = [
    "CRYPTOSUITE",
    "ECERT_CONTEXT",
    "VC_CONTEXT",
    "VcError",
    "VcReason",
    "VcVerification",
    "base58btc_decode",
    "base58btc_encode",
    "credential",
    "did_document",
    "issuer_did",
    "multikey",
    "multikey_public_key",
    "secure_credential",
    "verify_vc",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
PROOF_PURPOSE = "assertionMethod"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
_VOCAB = "urn:ecert:vocab#"
#: The inline JSON-LD context defining the credential's own terms (no document to fetch).
ECERT_CONTEXT: dict[str, str] = {
    "ecert": _VOCAB,
    "ProfessionalTitleCredential": "ecert:ProfessionalTitleCredential",
    "ProfessionalTitle": "ecert:ProfessionalTitle",
    "certId": "ecert:certId",
    "certificateVersion": "ecert:certificateVersion",
    "holderName": "ecert:holderName",
    "holderIdMasked": "ecert:holderIdMasked",
    "titleName": "ecert:titleName",
    "level": "ecert:level",
    "seriesCode": "ecert:seriesCode",
    "specialty": "ecert:specialty",
    "authorityCode": "ecert:authorityCode",
    "reviewBody": "ecert:reviewBody",
    "certificateNumber": "ecert:certificateNumber",
    "obtainedOn": "ecert:obtainedOn",
    "issuedOn": "ecert:issuedOn",
    "provenance": "ecert:provenance",
}
_ED25519_MULTICODEC = b"\xed\x01"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
# XML Schema 1.1 dateTime (the form `created` must have).
_DATETIME_RE = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-](0\d|1[0-4]):[0-5]\d)?"
)


class VcError(CryptoError, ValueError):
    """A credential or proof cannot be produced from the given input."""


class VcReason(enum.Enum):
    """Why :func:`verify_vc` refused a credential (for logs and the report, not for users)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    WRONG_ISSUER = "wrong_issuer"
    KEY_REVOKED = "key_revoked"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class VcVerification:
    """The verification result of vc-di-eddsa §3.3.2: ``verified`` and, when it is true,
    ``verified_document`` (the credential without its proof); else ``reason``."""

    verified: bool
    verified_document: dict[str, Any] | None = None
    verification_method: str | None = None
    reason: VcReason | None = None


# --- multibase / multikey -----------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    """Base58 with the Bitcoin alphabet (leading zero bytes as ``1``)."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rem = divmod(number, 58)
        out.append(_B58_ALPHABET[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """Inverse of :func:`base58btc_encode`; ValueError for a character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError("not base58btc")
        number = number * 58 + _B58_INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multikey(public_key: bytes) -> str:
    """``publicKeyMultibase`` of a raw Ed25519 public key: ``z`` + base58btc(0xed01 + key)."""
    if len(public_key) != 32:
        raise VcError("an Ed25519 public key is 32 bytes")
    return "z" + base58btc_encode(_ED25519_MULTICODEC + public_key)


def multikey_public_key(value: str) -> bytes:
    """The raw Ed25519 key of a ``publicKeyMultibase``; VcError if it is not one."""
    try:
        raw = base58btc_decode(value[1:]) if value.startswith("z") else b""
    except ValueError:
        raw = b""
    if len(raw) != 34 or not raw.startswith(_ED25519_MULTICODEC):
        raise VcError("not an Ed25519 Multikey")
    return raw[2:]


# --- issuer DID -----------------------------------------------------------------------------


def issuer_did(public_base_url: str) -> str:
    """``did:web`` of an ``http(s)://host[:port]`` origin (host lower-cased, ``:`` of a port
    percent-encoded as the did:web method requires)."""
    parts = urlsplit(public_base_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise VcError("the public base URL must be an http(s) origin")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise VcError("the public base URL must be an origin without a path")
    host = parts.hostname.lower()
    return f"did:web:{host}%3A{parts.port}" if parts.port else f"did:web:{host}"


def _xml_datetime(value: datetime) -> str:
    return require_utc(value, "instant").replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def did_document(did: str, keys: Iterable[PublicKeyInfo]) -> dict[str, Any]:
    """The DID document of ``did``: every key as a Multikey usable for ``assertionMethod``."""
    methods = []
    for key in keys:
        method: dict[str, Any] = {
            "id": f"{did}#{key.kid}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey(key.public_key),
        }
        if key.window.revoked_at is not None:
            method["revoked"] = _xml_datetime(key.window.revoked_at)
        methods.append(method)
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


# --- the credential -------------------------------------------------------------------------


def credential(
    claims: CertificateClaims, *, verification_url: str, did: str, public_base_url: str
) -> dict[str, Any]:
    """The unsecured credential of one signed certificate version."""
    origin = public_base_url.strip().lower().rstrip("/")
    subject = {
        "type": "ProfessionalTitle",
        "certId": claims.cert_id,
        "certificateVersion": claims.version,
        "holderName": claims.holder_name,
        "holderIdMasked": claims.holder_id_masked,
        "titleName": claims.title_name,
        "level": claims.level,
        "seriesCode": claims.series_code,
        "specialty": claims.specialty,
        "authorityCode": claims.authority_code,
        "reviewBody": claims.review_body,
        "certificateNumber": claims.number,
        "obtainedOn": claims.obtained_on.isoformat(),
        "issuedOn": claims.issued_on.isoformat(),
        "provenance": claims.provenance,
    }
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, ECERT_CONTEXT],
        "id": verification_url,
        "type": ["VerifiableCredential", "ProfessionalTitleCredential"],
        "issuer": did,
        "validFrom": _xml_datetime(claims.signed_at),
        "credentialSubject": subject,
    }
    if claims.status_index is not None:
        list_url = origin + status_list_path(claims.status_index.list_id)
        index = claims.status_index.index
        document["credentialStatus"] = {
            "id": f"{list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "message",
            "statusListIndex": str(index),
            "statusListCredential": list_url,
            "statusSize": STATUS_SIZE,
            "statusMessage": [dict(m) for m in STATUS_MESSAGES],
        }
    return document


def _proof_config(options: Mapping[str, Any], document: Mapping[str, Any]) -> bytes:
    """vc-di-eddsa §3.3.5 Proof Configuration (eddsa-jcs-2022): canonical proof options."""
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE:
        raise VcError("proof options are not DataIntegrityProof / eddsa-jcs-2022")
    created = options.get("created")
    if created is not None and not (isinstance(created, str) and _DATETIME_RE.fullmatch(created)):
        raise VcError("proof created is not an XML Schema dateTime")
    config = dict(options)
    if "@context" in document:
        config["@context"] = document["@context"]
    return canonicalize(config)


def _hash_data(document: Mapping[str, Any], canonical_config: bytes) -> bytes:
    """§3.3.3 Transformation (JCS of the document) and §3.3.4 Hashing: SHA-256 of the proof
    configuration, then SHA-256 of the document (64 bytes)."""
    transformed = canonicalize(dict(document))
    return hashlib.sha256(canonical_config).digest() + hashlib.sha256(transformed).digest()


def secure_credential(
    document: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """``document`` with a DataIntegrityProof (eddsa-jcs-2022) made by ``private_key``."""
    if "proof" in document:
        raise VcError("the document already carries a proof")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _xml_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    try:
        hash_data = _hash_data(document, _proof_config(proof, document))
    except JcsError as exc:
        raise VcError(str(exc)) from None
    proof["proofValue"] = "z" + base58btc_encode(private_key.sign(hash_data))
    return {**document, "proof": proof}


# --- verification ---------------------------------------------------------------------------


def _refused(reason: VcReason) -> VcVerification:
    return VcVerification(verified=False, reason=reason)


def _method(did_doc: Mapping[str, Any], method_id: str) -> Mapping[str, Any] | None:
    """The verification method ``method_id`` if ``did_doc`` authorises it for assertions."""
    did = did_doc.get("id")
    if not isinstance(did, str) or not method_id.startswith(did + "#"):
        return None
    assertion = did_doc.get("assertionMethod")
    if not isinstance(assertion, list) or method_id not in assertion:
        return None
    methods = did_doc.get("verificationMethod")
    for method in methods if isinstance(methods, list) else []:
        if (
            isinstance(method, Mapping)
            and method.get("id") == method_id
            and method.get("type") == "Multikey"
            and method.get("controller") == did
        ):
            return method
    return None


def _parse_instant(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else None


def verify_vc(document: Mapping[str, Any], did_document: Mapping[str, Any]) -> VcVerification:
    """Verify an eddsa-jcs-2022 secured credential against the issuer's DID document.

    vc-di-eddsa §3.3.2: the proof options are the proof without ``proofValue``; when they
    carry ``@context`` the document's ``@context`` must start with it; proof configuration
    and document are canonicalised with JCS, hashed with SHA-256 (configuration hash first)
    and the Ed25519 signature is checked with the key of ``verificationMethod``.  Beyond the
    suite, the key must belong to ``did_document`` (and be in its ``assertionMethod``), the
    credential's ``issuer`` must be that DID, the proof purpose ``assertionMethod`` and the
    key not revoked at or before ``created``.  Never raises for bad input.
    """
    proof = document.get("proof") if isinstance(document, Mapping) else None
    if not isinstance(proof, Mapping):
        return _refused(VcReason.MALFORMED)  # no proof, or a set of proofs (not supported)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    proof_value = proof.get("proofValue")
    method_id = options.get("verificationMethod")
    created = options.get("created")
    if (
        not isinstance(proof_value, str)
        or not proof_value.startswith("z")
        or not isinstance(method_id, str)
        or options.get("proofPurpose") != PROOF_PURPOSE
        or not isinstance(created, str)
    ):
        return _refused(VcReason.MALFORMED)
    try:
        proof_bytes = base58btc_decode(proof_value[1:])
    except ValueError:
        return _refused(VcReason.MALFORMED)
    if "@context" in options:
        context, doc_context = options["@context"], unsecured.get("@context")
        if not isinstance(context, list) or not isinstance(doc_context, list):
            return _refused(VcReason.MALFORMED)
        if doc_context[: len(context)] != context:
            return _refused(VcReason.MALFORMED)
        unsecured["@context"] = context
    try:
        hash_data = _hash_data(unsecured, _proof_config(options, unsecured))
    except (VcError, JcsError):
        return _refused(VcReason.MALFORMED)
    method = _method(did_document, method_id)
    if method is None:
        return _refused(VcReason.UNKNOWN_KEY)
    if unsecured.get("issuer") != did_document.get("id"):
        return _refused(VcReason.WRONG_ISSUER)
    revoked = method.get("revoked")
    if revoked is not None:
        revoked_at, created_at = _parse_instant(str(revoked)), _parse_instant(created)
        if revoked_at is None or created_at is None or created_at >= revoked_at:
            return _refused(VcReason.KEY_REVOKED)
    try:
        public_key = Ed25519PublicKey.from_public_bytes(
            multikey_public_key(str(method.get("publicKeyMultibase", "")))
        )
        public_key.verify(proof_bytes, hash_data)
    except (VcError, ValueError, InvalidSignature):
        return _refused(VcReason.BAD_SIGNATURE)
    return VcVerification(verified=True, verified_document=unsecured, verification_method=method_id)
