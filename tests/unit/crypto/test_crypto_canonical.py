"""Claims and their deterministic CBOR encoding."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import cbor2
import pytest
from crypto_test_support import at, realistic_claims

from crypto.canonical import (
    CertificateClaims,
    decode_claims,
    encode_claims,
    new_cert_id,
)
from crypto.errors import ClaimsError, UnsupportedFormatError


def _fields() -> dict[int, object]:
    return dict(cbor2.loads(encode_claims(realistic_claims())))


def test_round_trip() -> None:
    claims = realistic_claims()
    assert decode_claims(encode_claims(claims)) == claims


def test_round_trip_of_every_level_and_provenance_and_old_dates() -> None:
    for level in ("ZHENG_GAO", "FU_GAO", "ZHONG", "ZHULI", "YUAN"):
        for provenance in ("PAPER", "OTHER_SYSTEM", "NATIVE"):
            claims = realistic_claims(
                level=level,
                provenance=provenance,
                number="0113198800123",
                obtained_on=date(1965, 7, 1),
            )
            assert decode_claims(encode_claims(claims)) == claims, (level, provenance)


def test_encoding_is_deterministic_and_uses_sorted_integer_keys() -> None:
    claims = realistic_claims()
    first = encode_claims(claims)
    rebuilt = CertificateClaims(**dataclasses.asdict(claims))
    assert encode_claims(rebuilt) == first, "equal claims gave different bytes"
    assert list(cbor2.loads(first)) == list(range(1, 17)), "key table changed"


def test_dates_are_days_and_signed_at_is_epoch_seconds() -> None:
    fields = _fields()
    assert fields[12] == 19356 and fields[13] == 19431, "dates must be days since 1970-01-01"
    assert fields[16] == 1714979289, "signed_at must be epoch seconds"


def test_new_cert_id_is_26_base32_chars_from_128_bits() -> None:
    cert_id = new_cert_id(lambda n: bytes(range(0xA0, 0xA0 + n)))
    assert cert_id == "UCQ2FI5EUWTKPKFJVKV2ZLNOV4"
    assert len(new_cert_id()) == 26


def test_signed_at_must_be_aware_and_whole_seconds() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        realistic_claims(signed_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="whole seconds"):
        realistic_claims(signed_at=at(2024, 1, 1, 0, 0, 0, 5))


def test_signed_at_is_normalised_to_utc() -> None:
    cst = timezone(timedelta(hours=8))
    claims = realistic_claims(signed_at=datetime(2024, 5, 6, 15, 8, 9, tzinfo=cst))
    assert claims.signed_at == at(2024, 5, 6, 7, 8, 9)
    assert claims.signed_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "change",
    [
        {"level": "ZHONGJI"},
        {"provenance": "SCANNED"},
        {"cert_id": "UCQ2FI5EUWTKPKFJVKV2ZLNOV"},
        {"cert_id": "ucq2fi5euwtkpkfjvkv2zlnov4"},
        {"cert_id": "UCQ2FI5EUWTKPKFJVKV2ZLNOV5"},  # non-zero trailing bits
        {"version": -1},
        {"version": True},
        {"holder_name": ""},
        {"issued_on": datetime(2023, 3, 15, tzinfo=UTC)},
        {"format_version": 3},
    ],
)
def test_invalid_claims_are_refused_at_construction(change: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        realistic_claims(**change)


def test_decode_rejects_unknown_format_version() -> None:
    fields = _fields()
    fields[1] = 3  # 1 and 2 are known (2: status-list entry)
    with pytest.raises(UnsupportedFormatError):
        decode_claims(cbor2.dumps(fields, canonical=True))


@pytest.mark.parametrize("key", range(2, 17))
def test_decode_rejects_missing_key(key: int) -> None:
    fields = _fields()
    del fields[key]
    with pytest.raises(ClaimsError):
        decode_claims(cbor2.dumps(fields, canonical=True))


def test_decode_rejects_extra_key() -> None:
    fields = _fields()
    fields[17] = "extra"
    with pytest.raises(ClaimsError, match="keys"):
        decode_claims(cbor2.dumps(fields, canonical=True))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (2, "UCQ2FI5EUWTKPKFJVKV2ZLNOV4"),  # cert_id as text, not bytes
        (2, b"short"),
        (3, True),
        (4, b"\xe6\xac\xa7"),  # name as bytes, not text
        (6, 9),  # unknown level code
        (6, "ZHONG"),
        (12, "2022-12-30"),
        (15, 0),
        (16, -5),
        (16, 1.5),
    ],
)
def test_decode_rejects_wrong_types_and_values(key: int, value: object) -> None:
    fields = _fields()
    fields[key] = value
    with pytest.raises(ClaimsError):
        decode_claims(cbor2.dumps(fields, canonical=True))


def test_decode_rejects_non_canonical_encoding() -> None:
    # Same map, keys in reverse order: valid CBOR, not deterministic.
    fields = _fields()
    reordered = cbor2.dumps(dict(reversed(list(fields.items()))))
    assert cbor2.loads(reordered) == fields
    with pytest.raises(ClaimsError, match="canonical"):
        decode_claims(reordered)


def test_decode_rejects_trailing_bytes_and_garbage() -> None:
    data = encode_claims(realistic_claims())
    with pytest.raises(ClaimsError, match="trailing"):
        decode_claims(data + b"\x00")
    with pytest.raises(ClaimsError):
        decode_claims(b"\xff\xfe")
    with pytest.raises(ClaimsError, match="map"):
        decode_claims(cbor2.dumps([1, 2]))


def test_decode_rejects_duplicate_keys() -> None:
    data = encode_claims(realistic_claims())
    # Append a duplicate key 16 and bump the map length from 16 to 17.
    assert data[0] == 0xB0
    duplicated = b"\xb1" + data[1:] + cbor2.dumps(16) + cbor2.dumps(0)
    with pytest.raises(ClaimsError):
        decode_claims(duplicated)
