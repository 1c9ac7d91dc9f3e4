"""The PII protector: envelopes naming their key, separate purposes, previous keys."""

from __future__ import annotations

import base64
import os
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schema.pii import PiiProtector, Purpose
from schema.rules import has_valid_mod11_2, mask_id_number

ID = "500112198503120238"
MOBILE = "13812345678"
OLD, NEW, HMAC = b"\x0a" * 32, b"\x0b" * 32, b"\x0c" * 32


def _protector(key: bytes = NEW, *previous: bytes) -> PiiProtector:
    return PiiProtector(hmac_key=HMAC, encryption_key=key, previous_encryption_keys=previous)


def test_envelope_names_the_current_key_and_hides_the_value() -> None:
    pii = _protector()
    token = pii.seal(ID)
    assert token.startswith(f"v2:{pii.current_kid}:")
    assert ID not in token
    assert pii.open(token) == ID


def test_mobile_and_id_ciphertexts_do_not_open_as_each_other() -> None:
    pii = _protector()
    with pytest.raises(ValueError, match="does not open"):
        pii.open(pii.seal_mobile(MOBILE))
    with pytest.raises(ValueError, match="does not open"):
        pii.open_mobile(pii.seal(ID))
    assert pii.open_mobile(pii.seal_mobile(MOBILE)) == MOBILE


def test_mobile_lookup_hash_is_keyed_deterministic_and_its_own_domain() -> None:
    pii = _protector()
    digest = pii.mobile_lookup_hash(MOBILE)
    assert digest == _protector(OLD).mobile_lookup_hash(MOBILE)  # same HMAC key, same digest
    assert digest != pii.lookup_hash(MOBILE)  # not the ID-number digest of the same text
    other = PiiProtector(hmac_key=b"\x0d" * 32, encryption_key=NEW)
    assert digest != other.mobile_lookup_hash(MOBILE)
    assert MOBILE not in digest


def test_previous_keys_open_and_reseal_moves_to_the_current_key() -> None:
    old_token = _protector(OLD).seal_mobile(MOBILE)
    rotating = _protector(NEW, OLD)
    assert not rotating.is_current(old_token)
    assert rotating.open_mobile(old_token) == MOBILE
    resealed = rotating.reseal(old_token, Purpose.MOBILE)
    assert rotating.is_current(resealed)
    assert _protector(NEW).open_mobile(resealed) == MOBILE


def test_a_key_not_configured_is_named_in_the_refusal() -> None:
    old = _protector(OLD)
    with pytest.raises(ValueError, match=f"unknown key {old.current_kid}"):
        _protector(NEW).open(old.seal(ID))


def test_first_version_envelopes_still_open_with_any_known_key() -> None:
    nonce = os.urandom(12)
    sealed = AESGCM(OLD).encrypt(nonce, ID.encode(), b"ecert:id-number:v1")
    v1 = "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()
    assert _protector(NEW, OLD).open(v1) == ID
    assert not _protector(NEW, OLD).is_current(v1)
    with pytest.raises(ValueError, match="does not open"):
        _protector(NEW).open(v1)


def test_repr_shows_the_key_id_only() -> None:
    pii = _protector()
    assert repr(pii) == f"PiiProtector(current={pii.current_kid}, <keys hidden>)"


def test_masked_id_without_the_birth_date_leaves_thousands_of_candidates() -> None:
    """Why the mask stays first 4 + last 4 (docs/operations.md): the hidden part is the
    county (2 digits) and the birth date (8). With the birth date stored beside the mask,
    only the county was unknown and the check character left 2–4 candidates. Without it,
    every year of birth alone leaves over a thousand numbers that fit the mask."""
    masked = mask_id_number(ID)
    head, tail = masked[:4], masked[-4:]
    start = date(1985, 1, 1)
    days = [start + timedelta(days=n) for n in range(365)]
    candidates = [
        number
        for county in range(100)
        for day in days
        if has_valid_mod11_2(number := f"{head}{county:02d}{day:%Y%m%d}{tail}")
    ]
    assert ID in candidates
    assert len(candidates) > 1000
    known_birth = [c for c in candidates if c[6:14] == "19850312"]
    assert len(known_birth) <= 10  # what a dump with the clear birth date narrowed to
