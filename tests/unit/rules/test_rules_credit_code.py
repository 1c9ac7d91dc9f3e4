"""统一社会信用代码 (GB 32100-2015): the check character, the character set, normalisation."""

from __future__ import annotations

import pytest

from schema.rules import RuleCode, RuleViolation, credit_code_check_char, normalize_credit_code


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of the standard
        "91110000600037341L",  # a published registration
        "91500112MA5YX0001R",  # the tests' employer
    ],
)
def test_valid_codes_pass(code: str) -> None:
    assert normalize_credit_code(code) == code
    assert credit_code_check_char(code[:17]) == code[17]


def test_spaces_and_lower_case_are_normalised() -> None:
    assert normalize_credit_code(" 9135 0100 m000 100y43 ") == "91350100M000100Y43"


def test_a_wrong_check_character_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        normalize_credit_code("91350100M000100Y44")
    assert (refused.value.code, refused.value.field) == (
        RuleCode.CREDIT_CODE_CHECKSUM,
        "creditCode",
    )


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y431",  # 19
        "91350100I000100Y43",  # I is not in the set (nor O, Z, S, V)
        "9135A100M000100Y43",  # the region code is six digits
        "",
    ],
)
def test_malformed_codes_are_refused(code: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        normalize_credit_code(code)
    assert refused.value.code == RuleCode.CREDIT_CODE_FORMAT


def test_the_check_needs_seventeen_characters_of_the_set() -> None:
    with pytest.raises(ValueError):
        credit_code_check_char("9135010")
