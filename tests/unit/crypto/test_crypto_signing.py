"""COSE_Sign1 signing and opaque verification."""

from __future__ import annotations

from collections.abc import Callable

import cbor2
import nacl.exceptions
import pytest
from crypto_test_support import PASSPHRASE, SEED, at, make_record, nacl_verify, realistic_claims

from crypto.canonical import decode_claims, encode_claims
from crypto.errors import VerificationError, VerificationReason
from crypto.keys import (
    KeyWindow,
    PublicKeyInfo,
    SigningKeyRecord,
    private_key_from_seed,
    unlock,
)
from crypto.signing import (
    parse_cose_sign1,
    protected_header,
    sig_structure,
    sign_claims,
    verify_cose,
)


def _signed() -> tuple[SigningKeyRecord, bytes]:
    """The realistic certificate signed by the SEED key (valid from 2024-01-01)."""
    record = make_record(now=at(2024, 1, 1), seed=SEED)
    return record, sign_claims(realistic_claims(), unlock(record, PASSPHRASE), record.kid)


def _reason(data: bytes, keys: list[PublicKeyInfo]) -> VerificationReason:
    with pytest.raises(VerificationError) as info:
        verify_cose(data, keys)
    return info.value.reason


def test_sign_then_verify_round_trip() -> None:
    record, cose = _signed()
    verified = verify_cose(cose, [record.public_info()])
    assert verified.claims == realistic_claims()
    assert verified.kid == record.kid


def test_signature_verifies_with_pynacl() -> None:
    record, cose = _signed()
    try:
        payload = nacl_verify(cose, record.public_key)
    except nacl.exceptions.BadSignatureError:
        pytest.fail("PyNaCl rejects our Ed25519 signature over Sig_structure")
    assert decode_claims(payload) == realistic_claims()


def test_cose_structure_is_tag18_with_eddsa_and_kid_header() -> None:
    _, cose = _signed()
    message = cbor2.loads(cose)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: bytes.fromhex("56475aa75463474c0285")}
    assert unprotected == {}
    assert payload == encode_claims(realistic_claims())
    assert len(signature) == 64


def test_signing_is_deterministic() -> None:
    _, first = _signed()
    _, second = _signed()
    assert first == second, "Ed25519 + deterministic CBOR must give identical bytes"


def test_sign_refuses_kid_of_another_key() -> None:
    record = make_record()
    with pytest.raises(ValueError, match="kid"):
        sign_claims(realistic_claims(), private_key_from_seed(SEED), record.kid)


def test_flipped_payload_byte_fails_with_bad_signature() -> None:
    record, cose = _signed()
    offset = cose.index("欧阳".encode())  # inside the payload, keeps CBOR valid
    tampered = cose[:offset] + bytes([cose[offset] ^ 0x01]) + cose[offset + 1 :]
    assert _reason(tampered, [record.public_info()]) is VerificationReason.BAD_SIGNATURE


@pytest.mark.parametrize("offset", [0, 1, 5, 40, 150, -1])
def test_any_flipped_byte_fails(offset: int) -> None:
    record, cose = _signed()
    i = offset % len(cose)
    tampered = cose[:i] + bytes([cose[i] ^ 0x40]) + cose[i + 1 :]
    reason = _reason(tampered, [record.public_info()])
    assert reason in {
        VerificationReason.BAD_SIGNATURE,
        VerificationReason.MALFORMED,
        VerificationReason.UNKNOWN_KEY,  # a flip inside the kid bytes
    }


def test_unknown_kid_fails_with_unknown_key() -> None:
    _, cose = _signed()
    other = make_record()
    assert _reason(cose, [other.public_info()]) is VerificationReason.UNKNOWN_KEY
    assert _reason(cose, []) is VerificationReason.UNKNOWN_KEY


def test_revoked_key_rejects_claims_signed_after_revocation() -> None:
    revoked_on = at(2024, 6, 1)
    record = make_record(now=at(2024, 1, 1), seed=SEED)
    key = unlock(record, PASSPHRASE)
    before = sign_claims(realistic_claims(signed_at=at(2024, 5, 31, 23, 59, 59)), key, record.kid)
    after = sign_claims(realistic_claims(signed_at=revoked_on), key, record.kid)
    keys = [record.with_window(record.window.revoke(revoked_on)).public_info()]
    assert verify_cose(before, keys).claims.signed_at == at(2024, 5, 31, 23, 59, 59)
    assert _reason(after, keys) is VerificationReason.KEY_WINDOW


def test_retired_key_still_verifies_what_it_signed_while_active() -> None:
    record, cose = _signed()  # signed_at 2024-05-06
    retired = record.with_window(record.window.retire(at(2024, 9, 1)))
    assert verify_cose(cose, [retired.public_info()]).kid == record.kid
    late = sign_claims(
        realistic_claims(signed_at=at(2024, 9, 2)), unlock(record, PASSPHRASE), record.kid
    )
    assert _reason(late, [retired.public_info()]) is VerificationReason.KEY_WINDOW


def test_signed_before_key_existed_fails_with_key_window() -> None:
    record = make_record(now=at(2024, 6, 1), seed=SEED)
    cose = sign_claims(realistic_claims(), unlock(record, PASSPHRASE), record.kid)
    assert _reason(cose, [record.public_info()]) is VerificationReason.KEY_WINDOW


def test_duplicate_key_entries_honour_the_strictest_window() -> None:
    record, cose = _signed()
    revoked = record.with_window(KeyWindow(not_before=at(2024, 1, 1), revoked_at=at(2024, 2, 1)))
    keys = [record.public_info(), revoked.public_info()]
    assert _reason(cose, keys) is VerificationReason.KEY_WINDOW


@pytest.mark.parametrize(
    ("label", "mutate"),
    [
        ("not CBOR", lambda m: b"\xff\x00"),
        ("untagged", lambda m: cbor2.dumps(list(m.value), canonical=True)),
        ("tag 98", lambda m: cbor2.dumps(cbor2.CBORTag(98, list(m.value)), canonical=True)),
        ("3 elements", lambda m: cbor2.dumps(cbor2.CBORTag(18, list(m.value)[:3]))),
        (
            "unprotected header not empty",
            lambda m: cbor2.dumps(
                cbor2.CBORTag(18, [m.value[0], {4: b"x"}, m.value[2], m.value[3]]), canonical=True
            ),
        ),
        (
            "alg ES256",
            lambda m: cbor2.dumps(
                cbor2.CBORTag(
                    18,
                    [
                        cbor2.dumps({1: -7, 4: cbor2.loads(m.value[0])[4]}, canonical=True),
                        {},
                        m.value[2],
                        m.value[3],
                    ],
                ),
                canonical=True,
            ),
        ),
        (
            "detached payload",
            lambda m: cbor2.dumps(
                cbor2.CBORTag(18, [m.value[0], {}, None, m.value[3]]), canonical=True
            ),
        ),
        (
            "short signature",
            lambda m: cbor2.dumps(
                cbor2.CBORTag(18, [m.value[0], {}, m.value[2], m.value[3][:63]]), canonical=True
            ),
        ),
        ("trailing byte", lambda m: cbor2.dumps(m, canonical=True) + b"\x00"),
        ("oversized", lambda m: b"\x00" * 5000),
    ],
)
def test_malformed_messages_fail_with_malformed(
    label: str, mutate: Callable[[cbor2.CBORTag], bytes]
) -> None:
    record, cose = _signed()
    bad = mutate(cbor2.loads(cose))
    assert _reason(bad, [record.public_info()]) is VerificationReason.MALFORMED, label


def test_non_canonical_outer_encoding_is_rejected() -> None:
    record, cose = _signed()
    message = cbor2.loads(cose)
    # Indefinite-length outer array: same content, different bytes.
    body = b"".join(cbor2.dumps(part, canonical=True) for part in message.value)
    indefinite = b"\xd2\x9f" + body + b"\xff"
    assert _reason(indefinite, [record.public_info()]) is VerificationReason.MALFORMED


def test_signed_but_undecodable_claims_fail_with_malformed() -> None:
    # A valid signature over a payload that is not claims (e.g. a key misused
    # for something else) must not be accepted.
    record = make_record(seed=SEED)
    key = unlock(record, PASSPHRASE)
    protected = protected_header(record.kid)
    payload = cbor2.dumps({1: 1})
    signature = key.sign(sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]), canonical=True)
    assert _reason(cose, [record.public_info()]) is VerificationReason.MALFORMED


def test_verification_error_is_opaque() -> None:
    record, cose = _signed()
    messages = set()
    for data, keys in [
        (b"junk", [record.public_info()]),
        (cose, []),
        (cose[:-1] + bytes([cose[-1] ^ 1]), [record.public_info()]),
    ]:
        with pytest.raises(VerificationError) as info:
            verify_cose(data, keys)
        messages.add((str(info.value), repr(info.value)))
    assert len(messages) == 1, "error text reveals which check failed"
    (text, rep) = messages.pop()
    for word in ("malformed", "unknown", "signature", "window", "kid"):
        assert word not in (text + rep).lower(), word


def test_parse_cose_sign1_exposes_kid_and_signature() -> None:
    record, cose = _signed()
    parts = parse_cose_sign1(cose)
    assert parts.kid == record.kid
    assert len(parts.signature) == 64
