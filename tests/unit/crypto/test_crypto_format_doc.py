"""docs/verification-format.md §9: every stage of the worked example matches the code.

The signature is also recomputed with PyNaCl from the seed, so the document
is checked against a second Ed25519 implementation, not only against ours.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import cbor2
import pytest
from nacl.signing import SigningKey

from crypto.canonical import CertificateClaims, encode_claims
from crypto.keys import KeyWindow, PublicKeyInfo, jwks, kid_for, parse_jwks, private_key_from_seed
from crypto.keys import public_key_bytes as raw_public_key
from crypto.offline import verify_offline
from crypto.qr import build_verification_url, check_code, qr_version
from crypto.signing import protected_header, sig_structure, sign_claims

DOC = Path(__file__).resolve().parents[3] / "docs" / "verification-format.md"
_BLOCK = re.compile(r"^```ecert-example:(?P<name>[a-z_0-9]+)\n(?P<body>.*?)^```", re.M | re.S)


def _blocks() -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        assert match["name"] not in found, f"duplicate example block {match['name']}"
        found[match["name"]] = match["body"]
    return found


BLOCKS = _blocks()
STAGES = (
    "inputs",
    "public_key",
    "kid",
    "encoded_claims",
    "protected_header",
    "sig_structure",
    "signature",
    "cose_sign1",
    "payload_base32",
    "url",
    "check_code",
    "jwks",
)


def _text(name: str) -> str:
    """Block content with the documented line wrapping removed."""
    return "".join(BLOCKS[name].split())


def _hex(name: str) -> bytes:
    return bytes.fromhex(_text(name))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


INPUTS: dict[str, Any] = json.loads(BLOCKS["inputs"])
SEED = bytes.fromhex(INPUTS["seed"])


def _claims() -> CertificateClaims:
    raw = dict(INPUTS["claims"])
    for name in ("obtained_on", "issued_on"):
        raw[name] = date.fromisoformat(raw[name])
    raw["signed_at"] = _utc(raw["signed_at"])
    return CertificateClaims(**raw)


def _cose() -> bytes:
    key = private_key_from_seed(SEED)
    return sign_claims(_claims(), key, kid_for(raw_public_key(key)))


def test_doc_has_every_stage() -> None:
    missing = [s for s in STAGES if s not in BLOCKS]
    assert not missing, f"worked example lacks blocks: {missing}"


def test_seed_is_bytes_00_to_1f() -> None:
    assert SEED == bytes(range(32))


def test_public_key() -> None:
    assert raw_public_key(private_key_from_seed(SEED)) == _hex("public_key")
    assert bytes(SigningKey(SEED).verify_key) == _hex("public_key"), "PyNaCl disagrees"


def test_kid() -> None:
    public_key = _hex("public_key")
    assert kid_for(public_key) == _text("kid")
    independent = base64.b32encode(hashlib.sha256(public_key).digest()[:10]).decode()
    assert independent == _text("kid"), "kid in doc is not base32(SHA-256(pk)[:10])"


def test_cert_id_is_base32_of_a0_to_af() -> None:
    expected = base64.b32encode(bytes(range(0xA0, 0xB0))).decode().rstrip("=")
    assert INPUTS["claims"]["cert_id"] == expected


def test_encoded_claims() -> None:
    assert encode_claims(_claims()) == _hex("encoded_claims")


def test_protected_header() -> None:
    assert protected_header(_text("kid")) == _hex("protected_header")


def test_sig_structure() -> None:
    built = sig_structure(_hex("protected_header"), _hex("encoded_claims"))
    assert built == _hex("sig_structure")
    independent = cbor2.dumps(["Signature1", _hex("protected_header"), b"", _hex("encoded_claims")])
    assert independent == _hex("sig_structure"), "doc Sig_structure is not RFC 9052's"


def test_signature() -> None:
    by_nacl = SigningKey(SEED).sign(_hex("sig_structure")).signature
    assert by_nacl == _hex("signature"), "PyNaCl gives another signature than the doc"
    assert private_key_from_seed(SEED).sign(_hex("sig_structure")) == _hex("signature")


def test_cose_sign1() -> None:
    assert _cose() == _hex("cose_sign1")
    tagged = cbor2.CBORTag(
        18,
        [_hex("protected_header"), {}, _hex("encoded_claims"), _hex("signature")],
    )
    assert cbor2.dumps(tagged) == _hex("cose_sign1"), "doc COSE is not assembled from stages"


def test_payload_base32() -> None:
    assert base64.b32encode(_hex("cose_sign1")).decode().rstrip("=") == _text("payload_base32")


def test_url() -> None:
    url = build_verification_url(INPUTS["base_url"], INPUTS["claims"]["cert_id"], _cose())
    assert url == _text("url")
    assert url.endswith("/" + _text("payload_base32"))


def test_url_length_and_qr_version_stated_in_doc() -> None:
    url = _text("url")
    version = qr_version(url)
    assert f"URL ({len(url)} characters" in DOC.read_text(encoding="utf-8")
    assert f"QR version {version} at level M" in DOC.read_text(encoding="utf-8")


def test_check_code() -> None:
    assert check_code(_hex("cose_sign1")) == _text("check_code")


def test_jwks() -> None:
    window = KeyWindow(not_before=_utc(INPUTS["not_before"]))
    info = PublicKeyInfo(kid=_text("kid"), public_key=_hex("public_key"), window=window)
    documented = json.loads(BLOCKS["jwks"])
    assert jwks([info]) == documented
    assert parse_jwks(documented) == [info]


def test_documented_url_verifies_offline_against_documented_jwks() -> None:
    verified = verify_offline(_text("url"), json.loads(BLOCKS["jwks"]))
    assert verified.claims == _claims()


@pytest.mark.parametrize(
    ("key", "value"),
    [(12, "2022-12-30"), (13, "2023-03-15"), (16, "2024-05-06T07:08:09Z")],
)
def test_documented_day_and_second_counts(key: int, value: str) -> None:
    decoded = cbor2.loads(_hex("encoded_claims"))
    if key == 16:
        assert decoded[key] == int(_utc(value).timestamp())
    else:
        assert decoded[key] == (date.fromisoformat(value) - date(1970, 1, 1)).days


# --------------------------------------------------------------------------- §12 status lists


def _status_list_inputs() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(BLOCKS["status_list_inputs"])
    return result


def test_status_list_jws_is_what_the_code_signs() -> None:
    from datetime import timedelta

    from crypto.status_list import EntryStatus, sign_status_list

    inputs = _status_list_inputs()
    seed = bytes.fromhex(json.loads(BLOCKS["inputs"])["seed"])
    key = private_key_from_seed(seed)
    jws = sign_status_list(
        issuer=inputs["issuer"],
        list_id=inputs["list_id"],
        entries={int(i): EntryStatus(v) for i, v in inputs["entries"].items()},
        issued_at=datetime.fromisoformat(inputs["issued_at"].replace("Z", "+00:00")),
        valid_for=timedelta(seconds=inputs["valid_for_seconds"]),
        private_key=key,
        kid=kid_for(raw_public_key(key)),
    )
    assert jws == _text("status_list_jws")
    assert f"The JWS ({len(jws)} characters" in DOC.read_text(encoding="utf-8")


def test_documented_status_list_verifies_and_reads_as_stated() -> None:
    from datetime import timedelta

    from crypto.status_list import (
        EntryStatus,
        StatusListError,
        StatusListReason,
        verify_status_list,
    )

    keys = parse_jwks(json.loads(BLOCKS["jwks"]))
    inputs = _status_list_inputs()
    issued = datetime.fromisoformat(inputs["issued_at"].replace("Z", "+00:00"))
    jws = _text("status_list_jws")
    listed = verify_status_list(jws, keys, now=issued + timedelta(hours=1), list_id=1)
    assert listed.status(7) is EntryStatus.REVOKED
    assert listed.status(42) is EntryStatus.SUPERSEDED
    assert listed.status(0) is EntryStatus.VALID
    assert listed.bitstring[1] == 0x01 and listed.bitstring[10] == 0x08
    assert sum(1 for b in listed.bitstring if b) == 2
    # One second past exp: refused, never valid.
    with pytest.raises(StatusListError) as expired:
        verify_status_list(jws, keys, now=listed.valid_until, list_id=1)
    assert expired.value.reason is StatusListReason.EXPIRED
    # Any changed character of the signed part breaks the signature.
    header, payload, signature = jws.split(".")
    i = len(payload) // 2
    tampered = f"{header}.{payload[:i]}{'A' if payload[i] != 'A' else 'B'}{payload[i + 1 :]}"
    with pytest.raises(StatusListError):
        verify_status_list(f"{tampered}.{signature}", keys, now=issued, list_id=1)


# --------------------------------------------------------------------------- §14 credentials


def _vc_parts() -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The documented credential rebuilt by the code: (did document, secured, private key)."""
    from crypto.canonical import StatusIndex
    from crypto.vc import credential, did_document, issuer_did, secure_credential

    inputs = json.loads(BLOCKS["vc_inputs"])
    claims = dataclasses.replace(
        _claims(), format_version=2, status_index=StatusIndex(*inputs["status_index"])
    )
    key = private_key_from_seed(SEED)
    public = raw_public_key(key)
    kid = kid_for(public)
    base = INPUTS["base_url"]
    did = issuer_did(base)
    info = PublicKeyInfo(kid, public, KeyWindow(not_before=_utc(INPUTS["not_before"])))
    url = build_verification_url(base, claims.cert_id, sign_claims(claims, key, kid))
    unsecured = credential(claims, verification_url=url, did=did, public_base_url=base)
    secured = secure_credential(
        unsecured,
        private_key=key,
        verification_method=f"{did}#{kid}",
        created=_utc(inputs["created"]),
    )
    return did_document(did, [info]), secured, key


def test_vc_did_document_and_secured_credential_are_what_the_code_makes() -> None:
    did_doc, secured, _ = _vc_parts()
    assert json.loads(BLOCKS["vc_did_document"]) == did_doc
    assert json.loads(BLOCKS["vc_secured"]) == secured


def test_vc_intermediate_stages_recomputed_independently() -> None:
    """Stages 1-3 with json.dumps (JCS for these ASCII-named, integer-only documents) and the
    signature with PyNaCl."""
    secured = json.loads(BLOCKS["vc_secured"])
    proof = dict(secured.pop("proof"))
    proof_value = proof.pop("proofValue")

    def jcs(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    config = jcs({**proof, "@context": secured["@context"]})
    assert config == BLOCKS["vc_proof_config"].strip().encode()
    document_hash = hashlib.sha256(jcs(secured)).hexdigest()
    assert document_hash == _text("vc_document_jcs_sha256")
    hash_data = hashlib.sha256(config).digest() + bytes.fromhex(document_hash)
    assert hash_data.hex() == _text("vc_hash_data")

    from crypto.vc import base58btc_encode

    signature = SigningKey(SEED).sign(hash_data).signature
    assert proof_value == "z" + base58btc_encode(signature)


def test_documented_credential_verifies_against_documented_did_document() -> None:
    from crypto.vc import VcReason, verify_vc

    secured = json.loads(BLOCKS["vc_secured"])
    did_doc = json.loads(BLOCKS["vc_did_document"])
    assert verify_vc(secured, did_doc).verified
    secured["credentialSubject"]["holderName"] = "欧阳娜"
    assert verify_vc(secured, did_doc).reason is VcReason.BAD_SIGNATURE


def _batch_report_inputs() -> dict[str, Any]:
    return json.loads(BLOCKS["batch_report_inputs"])


def test_batch_report_jws_is_what_the_code_signs() -> None:
    from crypto.batch_report import sign_batch_report

    inputs = _batch_report_inputs()
    key = private_key_from_seed(bytes.fromhex(json.loads(BLOCKS["inputs"])["seed"]))
    jws = sign_batch_report(
        issuer=inputs["issuer"],
        batch_id=inputs["batch_id"],
        organisation_name=inputs["organisation_name"],
        credit_code=inputs["credit_code"],
        submitted_at=datetime.fromisoformat(inputs["submitted_at"].replace("Z", "+00:00")),
        as_of=date.fromisoformat(inputs["as_of"]),
        lines=inputs["lines"],
        issued_at=datetime.fromisoformat(inputs["issued_at"].replace("Z", "+00:00")),
        private_key=key,
        kid=kid_for(raw_public_key(key)),
    )
    assert jws == _text("batch_report_jws")
    assert f"The JWS ({len(jws)} characters" in DOC.read_text(encoding="utf-8")


def test_documented_batch_report_verifies_by_the_document_and_by_the_code() -> None:
    from crypto.batch_report import BatchReportError, BatchReportReason, verify_batch_report
    from tests.support.report_verifier import ReportRefused, verify_report_from_the_document

    jws = _text("batch_report_jws")
    jwks_document = json.loads(BLOCKS["jwks"])
    payload = verify_report_from_the_document(jws, jwks_document)
    report = verify_batch_report(jws, parse_jwks(jwks_document))
    assert payload["lines"] == report.lines == _batch_report_inputs()["lines"]
    assert payload["summary"] == {"INVALID_QR": 1, "NAME_MISMATCH": 1, "VALID": 1}
    assert (report.kid, report.as_of.isoformat() if report.as_of else None) == (
        "KZDVVJ2UMNDUYAUF",
        "2024-05-31",
    )
    # One character of the payload changed: both refuse it.
    header, body, signature = jws.split(".")
    flipped = body[:40] + ("A" if body[40] != "A" else "B") + body[41:]
    with pytest.raises(ReportRefused):
        verify_report_from_the_document(f"{header}.{flipped}.{signature}", jwks_document)
    with pytest.raises(BatchReportError) as refused:
        verify_batch_report(f"{header}.{flipped}.{signature}", parse_jwks(jwks_document))
    assert refused.value.reason in (BatchReportReason.BAD_SIGNATURE, BatchReportReason.MALFORMED)
    # The key revoked before iat: the report is worthless.
    revoked = json.loads(BLOCKS["jwks"])
    revoked["keys"][0]["ecert_revoked_at"] = int(report.issued_at.timestamp()) - 1
    with pytest.raises(ReportRefused):
        verify_report_from_the_document(jws, revoked)
    with pytest.raises(BatchReportError) as window:
        verify_batch_report(jws, parse_jwks(revoked))
    assert window.value.reason is BatchReportReason.KEY_WINDOW
