"""ISO 7064 MOD 11-2: the ID number's check character, shared with system numbers."""

import pytest

from schema.rules import has_valid_mod11_2, mod11_2_check_char


@pytest.mark.parametrize(
    ("body", "check"),
    [("50011219850312023", "8"), ("50010319870615006", "X"), ("50024319921231056", "2")],
)
def test_check_char_matches_reference_examples(body: str, check: str) -> None:
    assert mod11_2_check_char(body) == check


def test_check_char_refuses_non_digits() -> None:
    with pytest.raises(ValueError):
        mod11_2_check_char("5001X")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("500112198503120238", True), ("50010319870615006x", True), ("500112198503120231", False)],
)
def test_has_valid_mod11_2(value: str, ok: bool) -> None:
    assert has_valid_mod11_2(value) is ok
