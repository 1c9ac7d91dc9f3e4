"""Mainland mobile numbers."""

import pytest

from schema.rules import RuleViolation, normalize_mobile


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "0086-138-1234-5678",
        "8613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_accepted_spellings_normalise_to_eleven_digits(raw: str) -> None:
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["12812345678", "1381234567", "138123456789", "02312345678", "1381234567a"]
)
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(RuleViolation) as info:
        normalize_mobile(raw)
    assert (info.value.code, info.value.field) == ("MOBILE_FORMAT", "mobile")
