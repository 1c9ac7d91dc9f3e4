"""The credential export (crypto.vc): Multikey encoding against the vc-di-eddsa key pair,
eddsa-jcs-2022 proofs checked by an independent implementation (PyNaCl for Ed25519,
``json.dumps(sort_keys=True)`` for JCS -- equal to RFC 8785 for these documents: ASCII
member names and integers only), and every refusal of ``verify_vc``."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import timedelta
from typing import Any

from nacl.signing import SigningKey, VerifyKey

from crypto.canonical import StatusIndex
from crypto.keys import KeyWindow, PublicKeyInfo, kid_for, public_key_bytes
from crypto.vc import (
    VcReason,
    base58btc_decode,
    base58btc_encode,
    credential,
    did_document,
    issuer_did,
    multikey,
    multikey_public_key,
    secure_credential,
    verify_vc,
)
from tests.unit.crypto.crypto_test_support import (
    BASE_URL,
    SEED,
    T0,
    at,
    private_key_from_seed,
    realistic_claims,
)

# vc-di-eddsa's example key pair (Appendix "Test Vectors"): the secret key is the multicodec
# ed25519-priv (0x8026) seed, the public key the Multikey (0xed01) of the same key.
SPEC_SECRET_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
DID = issuer_did(BASE_URL)
URL = BASE_URL + "/V/UCQ2FI5EUWTKPKFJVKV2ZLNOV4/PAYLOAD"


def _spec_seed() -> bytes:
    raw = base58btc_decode(SPEC_SECRET_MULTIBASE[1:])
    assert raw[:2] == b"\x80\x26" and len(raw) == 34
    return raw[2:]


def _key_info(seed: bytes = SEED, **window: Any) -> PublicKeyInfo:
    public = public_key_bytes(private_key_from_seed(seed))
    return PublicKeyInfo(kid_for(public), public, KeyWindow(not_before=T0, **window))


def _secured(seed: bytes = SEED) -> dict[str, Any]:
    claims = realistic_claims(format_version=2, status_index=StatusIndex(7, 1234))
    doc = credential(claims, verification_url=URL, did=DID, public_base_url=BASE_URL)
    return secure_credential(
        doc,
        private_key=private_key_from_seed(seed),
        verification_method=f"{DID}#{_key_info(seed).kid}",
        created=at(2024, 6, 1, 8, 0, 0),
    )


def _independent_jcs(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_multikey_of_the_spec_key_pair() -> None:
    public = public_key_bytes(private_key_from_seed(_spec_seed()))
    assert multikey(public) == SPEC_PUBLIC_MULTIBASE
    assert multikey_public_key(SPEC_PUBLIC_MULTIBASE) == public


def test_base58btc_round_trip_and_leading_zeros() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40)), b"\xff" * 33):
        assert base58btc_decode(base58btc_encode(data)) == data
    assert base58btc_encode(b"\0\0\x01") == "112"
    assert base58btc_encode(b"hello world") == "StV1DL6CwTryKyV"  # the well-known example


def test_issuer_did_of_origins() -> None:
    assert issuer_did("https://Verify.Example/") == "did:web:verify.example"
    assert issuer_did("http://127.0.0.1:8000") == "did:web:127.0.0.1%3A8000"


def test_did_document_lists_keys_as_multikeys() -> None:
    old = _key_info(bytes(32), revoked_at=at(2024, 3, 1))
    new = _key_info()
    doc = did_document(DID, [old, new])
    assert doc["id"] == DID
    assert doc["assertionMethod"] == [f"{DID}#{old.kid}", f"{DID}#{new.kid}"]
    assert doc["verificationMethod"][1] == {
        "id": f"{DID}#{new.kid}",
        "type": "Multikey",
        "controller": DID,
        "publicKeyMultibase": multikey(new.public_key),
    }
    assert doc["verificationMethod"][0]["revoked"] == "2024-03-01T00:00:00Z"


def test_credential_shape() -> None:
    doc = _secured()
    assert doc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert doc["type"] == ["VerifiableCredential", "ProfessionalTitleCredential"]
    assert doc["issuer"] == DID and doc["id"] == URL
    assert doc["validFrom"] == "2024-05-06T07:08:09Z"
    assert doc["credentialSubject"]["holderName"] == "欧阳娜娜"
    status = doc["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListCredential"] == BASE_URL + "/status/7"
    assert status["statusListIndex"] == "1234" and status["statusSize"] == 2
    proof = doc["proof"]
    assert (proof["type"], proof["cryptosuite"]) == ("DataIntegrityProof", "eddsa-jcs-2022")
    assert proof["proofPurpose"] == "assertionMethod" and "@context" not in proof


def test_proof_checks_with_an_independent_implementation() -> None:
    """The proof value is Ed25519 over sha256(JCS(options + @context)) || sha256(JCS(doc)),
    recomputed here with json.dumps and PyNaCl."""
    doc = _secured()
    proof = dict(doc["proof"])
    signature = base58btc_decode(proof.pop("proofValue")[1:])
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    config = {**proof, "@context": unsecured["@context"]}
    hash_data = (
        hashlib.sha256(_independent_jcs(config)).digest()
        + hashlib.sha256(_independent_jcs(unsecured)).digest()
    )
    VerifyKey(_key_info().public_key).verify(hash_data, signature)


def test_a_proof_made_independently_verifies() -> None:
    """The vc-di-eddsa example credential, secured with PyNaCl and json.dumps using the
    spec's key pair, verifies with verify_vc (against a DID document naming that key)."""
    did = "did:web:vc.example"
    unsecured = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": did,
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    }
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": f"{did}#{SPEC_PUBLIC_MULTIBASE}",
        "proofPurpose": "assertionMethod",
    }
    hash_data = (
        hashlib.sha256(_independent_jcs({**options, "@context": unsecured["@context"]})).digest()
        + hashlib.sha256(_independent_jcs(unsecured)).digest()
    )
    signature = SigningKey(_spec_seed()).sign(hash_data).signature
    secured = {**unsecured, "proof": {**options, "proofValue": "z" + base58btc_encode(signature)}}
    did_doc = {
        "id": did,
        "verificationMethod": [
            {
                "id": options["verificationMethod"],
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": SPEC_PUBLIC_MULTIBASE,
            }
        ],
        "assertionMethod": [options["verificationMethod"]],
    }
    result = verify_vc(secured, did_doc)
    assert result.verified, result
    assert result.verified_document == unsecured
    # Our signer gives the same proof value (Ed25519 is deterministic).
    ours = secure_credential(
        unsecured,
        private_key=private_key_from_seed(_spec_seed()),
        verification_method=options["verificationMethod"],
        created=at(2023, 2, 24, 23, 36, 38),
    )
    assert ours["proof"] == secured["proof"]


def test_round_trip_and_tampering() -> None:
    doc = _secured()
    did_doc = did_document(DID, [_key_info()])
    result = verify_vc(doc, did_doc)
    assert result.verified and result.reason is None
    assert result.verification_method == f"{DID}#{_key_info().kid}"

    for path, value in [
        (("credentialSubject", "titleName"), "高级工程师"),
        (("validFrom",), "2024-05-06T07:08:10Z"),
        (("credentialStatus", "statusListIndex"), "1235"),
        (("proof", "created"), "2024-06-01T08:00:01Z"),
    ]:
        tampered = copy.deepcopy(doc)
        target = tampered
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        assert verify_vc(tampered, did_doc).reason is VcReason.BAD_SIGNATURE, path


def test_refusals() -> None:
    doc = _secured()
    did_doc = did_document(DID, [_key_info()])
    other_key = did_document(DID, [_key_info(bytes(32))])
    assert verify_vc(doc, other_key).reason is VcReason.UNKNOWN_KEY
    assert verify_vc({k: v for k, v in doc.items() if k != "proof"}, did_doc).reason is (
        VcReason.MALFORMED
    )
    assert verify_vc({**doc, "proof": [doc["proof"]]}, did_doc).reason is VcReason.MALFORMED
    wrong_suite = {**doc, "proof": {**doc["proof"], "cryptosuite": "eddsa-rdfc-2022"}}
    assert verify_vc(wrong_suite, did_doc).reason is VcReason.MALFORMED
    bad_created = {**doc, "proof": {**doc["proof"], "created": "yesterday"}}
    assert verify_vc(bad_created, did_doc).reason is VcReason.MALFORMED
    not_asserted = {**did_doc, "assertionMethod": []}
    assert verify_vc(doc, not_asserted).reason is VcReason.UNKNOWN_KEY
    assert verify_vc({**doc, "issuer": "did:web:evil.example"}, did_doc).reason is (
        VcReason.WRONG_ISSUER
    )
    revoked = did_document(DID, [_key_info(revoked_at=at(2024, 6, 1, 8, 0, 0))])
    assert verify_vc(doc, revoked).reason is VcReason.KEY_REVOKED
    later = did_document(DID, [_key_info(revoked_at=at(2024, 6, 1) + timedelta(days=1))])
    assert verify_vc(doc, later).verified


def test_proof_context_must_prefix_the_document_context() -> None:
    doc = _secured()
    did_doc = did_document(DID, [_key_info()])
    with_context = {**doc, "proof": {**doc["proof"], "@context": doc["@context"]}}
    # Same @context, so the signed bytes are unchanged: still valid.
    assert verify_vc(with_context, did_doc).verified
    other = {**doc, "proof": {**doc["proof"], "@context": ["https://evil.example/v1"]}}
    assert verify_vc(other, did_doc).reason is VcReason.MALFORMED
