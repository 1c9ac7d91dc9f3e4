"""Signing keys: generation, passphrase protection, windows, key ring, JWKS."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from crypto_test_support import PASSPHRASE, SEED, T0, at, make_record

from crypto.errors import (
    JWKSError,
    KeyPassphraseError,
    KeyRecordError,
    NoActiveKeyError,
    UnknownKeyError,
)
from crypto.keys import (
    KeyRing,
    KeyWindow,
    generate_key,
    jwks,
    kid_for,
    parse_jwks,
    private_key_from_seed,
    public_key_bytes,
    unlock,
)


def test_generate_then_unlock_gives_the_same_key() -> None:
    record = make_record()
    key = unlock(record, PASSPHRASE)
    assert public_key_bytes(key) == record.public_key, "unlocked key is not the generated key"


def test_generate_uses_injected_randomness_as_seed() -> None:
    record = make_record(seed=SEED)
    expected = public_key_bytes(private_key_from_seed(SEED))
    assert record.public_key == expected, "rand() output was not used as the Ed25519 seed"


def test_kid_is_base32_of_first_10_bytes_of_sha256_of_public_key() -> None:
    record = make_record(seed=SEED)
    # Value from docs/verification-format.md §9, computed independently there.
    assert record.kid == "KZDVVJ2UMNDUYAUF", "kid derivation changed"
    assert kid_for(record.public_key) == record.kid


def test_wrong_passphrase_raises_key_passphrase_error() -> None:
    record = make_record()
    with pytest.raises(KeyPassphraseError):
        unlock(record, b"not the passphrase")


def test_empty_passphrase_is_refused_at_generation() -> None:
    with pytest.raises(ValueError, match="passphrase"):
        generate_key(passphrase=b"", now=T0)


def test_encrypted_private_key_does_not_contain_the_raw_seed() -> None:
    record = make_record(seed=SEED)
    assert SEED not in record.encrypted_private_key, "raw private key stored in the clear"
    assert SEED.hex().encode() not in record.encrypted_private_key.lower()
    assert record.encrypted_private_key.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_repr_hides_encrypted_private_key() -> None:
    record = make_record()
    assert "encrypted_private_key" not in repr(record), "key material leaks through repr"
    assert record.encrypted_private_key.decode()[40:80] not in repr(record)


def test_passphrase_error_message_carries_no_secrets() -> None:
    record = make_record(seed=SEED)
    with pytest.raises(KeyPassphraseError) as info:
        unlock(record, b"guess")
    text = str(info.value) + repr(info.value)
    assert "guess" not in text and SEED.hex() not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_unlock_detects_record_whose_public_key_was_swapped() -> None:
    record = make_record()
    other = make_record(seed=SEED)
    forged = dataclasses.replace(record, encrypted_private_key=other.encrypted_private_key)
    with pytest.raises((KeyRecordError, KeyPassphraseError)):
        unlock(forged, PASSPHRASE)


def test_record_rejects_kid_not_derived_from_public_key() -> None:
    record = make_record()
    with pytest.raises(KeyRecordError):
        dataclasses.replace(record, kid="AAAAAAAAAAAAAAAA")


def test_window_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        KeyWindow(not_before=datetime(2024, 1, 1))
    window = KeyWindow(not_before=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        window.covers(datetime(2024, 1, 2))


def test_window_normalises_to_utc_and_whole_seconds() -> None:
    cst = timezone(timedelta(hours=8))
    window = KeyWindow(not_before=datetime(2024, 1, 1, 8, 0, 0, 700_000, tzinfo=cst))
    assert window.not_before == at(2024, 1, 1, 0, 0, 0)
    assert window.not_before.utcoffset() == timedelta(0)


def test_window_covers_is_half_open() -> None:
    window = KeyWindow(not_before=T0, retired_at=at(2025, 1, 1))
    assert not window.covers(T0 - timedelta(seconds=1)), "before not_before must not count"
    assert window.covers(T0), "not_before itself is inside"
    assert window.covers(at(2024, 12, 31, 23, 59, 59))
    assert not window.covers(at(2025, 1, 1)), "retired_at itself is outside"


def test_window_revocation_cuts_the_window() -> None:
    window = KeyWindow(not_before=T0).revoke(at(2024, 6, 1))
    assert window.covers(at(2024, 5, 31))
    assert not window.covers(at(2024, 6, 1))


def test_revocation_never_moves_later() -> None:
    window = KeyWindow(not_before=T0).revoke(at(2024, 6, 1)).revoke(at(2024, 9, 1))
    assert window.revoked_at == at(2024, 6, 1), "a later revoke() revived signatures"


def test_keyring_picks_newest_open_key() -> None:
    old = make_record(now=at(2023, 1, 1))
    new = make_record(now=at(2024, 1, 1))
    ring = KeyRing([old, new])
    assert ring.signing_key(at(2023, 6, 1)).kid == old.kid, "newer key used before its window"
    assert ring.signing_key(at(2024, 6, 1)).kid == new.kid, "older key preferred over newer"


def test_keyring_skips_retired_and_revoked_keys() -> None:
    old = make_record(now=at(2023, 1, 1))
    new = make_record(now=at(2024, 1, 1))
    revoked_new = new.with_window(new.window.revoke(at(2024, 3, 1)))
    ring = KeyRing([old, revoked_new])
    assert ring.signing_key(at(2024, 6, 1)).kid == old.kid
    retired_old = old.with_window(old.window.retire(at(2024, 2, 1)))
    with pytest.raises(NoActiveKeyError):
        KeyRing([retired_old, revoked_new]).signing_key(at(2024, 6, 1))


def test_keyring_verifier_lookup() -> None:
    record = make_record()
    ring = KeyRing([record])
    assert ring.verifier(record.kid) == record.public_info()
    with pytest.raises(UnknownKeyError):
        ring.verifier("AAAAAAAAAAAAAAAA")


def test_keyring_rejects_duplicate_kids() -> None:
    record = make_record()
    with pytest.raises(KeyRecordError):
        KeyRing([record, record])


def test_jwks_members_follow_rfc8037_and_carry_the_window() -> None:
    record = make_record(seed=SEED)
    record = record.with_window(record.window.retire(at(2025, 1, 1)).revoke(at(2025, 6, 1)))
    (jwk,) = jwks([record])["keys"]
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
        "kid": "KZDVVJ2UMNDUYAUF",
        "use": "sig",
        "alg": "EdDSA",
        "nbf": 1704067200,
        "ecert_retired_at": 1735689600,
        "ecert_revoked_at": 1748736000,
    }


def test_jwks_round_trip() -> None:
    a = make_record(now=at(2023, 1, 1))
    b = make_record(now=at(2024, 1, 1))
    b = b.with_window(b.window.revoke(at(2024, 2, 2, 3, 4, 5)))
    parsed = parse_jwks(jwks([b, a]))
    assert parsed == [a.public_info(), b.public_info()], "JWKS lost or reordered data"


def test_parse_jwks_skips_foreign_key_types() -> None:
    doc = jwks([make_record()])
    doc["keys"].append({"kty": "EC", "crv": "P-256", "kid": "x", "x": "AA", "y": "AA"})
    assert len(parse_jwks(doc)) == 1


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"d": "AAAA"}, "private key published"),
        ({"kid": "AAAAAAAAAAAAAAAA"}, "kid does not match x"),
        ({"x": "AAAA"}, "x is not 32 bytes"),
        ({"nbf": True}, "bool is not an epoch time"),
        ({"nbf": "2024-01-01"}, "nbf must be an integer"),
        ({"alg": "ES256"}, "wrong alg for Ed25519"),
    ],
)
def test_parse_jwks_rejects_bad_ed25519_keys(change: dict[str, object], why: str) -> None:
    doc = jwks([make_record()])
    doc["keys"][0].update(change)
    with pytest.raises(JWKSError):
        parse_jwks(doc)
        pytest.fail(why)


def test_parse_jwks_rejects_missing_nbf_and_duplicates() -> None:
    record = make_record()
    doc = jwks([record])
    del doc["keys"][0]["nbf"]
    with pytest.raises(JWKSError, match="nbf"):
        parse_jwks(doc)
    doc = jwks([record])
    doc["keys"].append(dict(doc["keys"][0]))
    with pytest.raises(JWKSError, match="duplicate"):
        parse_jwks(doc)


def test_unencrypted_stored_key_is_a_record_error_not_a_passphrase_error() -> None:
    from cryptography.hazmat.primitives import serialization

    record = make_record(seed=SEED)
    clear = private_key_from_seed(SEED).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyRecordError, match="not encrypted"):
        unlock(dataclasses.replace(record, encrypted_private_key=clear), PASSPHRASE)


def test_scrypt_stretched_password_opens_the_pkcs8_pem() -> None:
    # Documents the storage format: PKCS#8 password = hex(scrypt(passphrase)).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    record = make_record(seed=SEED)
    salt = b"ecert-signing-key:" + bytes.fromhex("56475aa75463474c0285")
    password = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(PASSPHRASE).hex()
    key = serialization.load_pem_private_key(record.encrypted_private_key, password.encode())
    assert (
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        == record.public_key
    )
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(record.encrypted_private_key, PASSPHRASE)
