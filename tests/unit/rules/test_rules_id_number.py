"""Resident ID numbers (GB 11643), with every example of REFERENCE.md §7."""

from datetime import date

import pytest

from schema.rules import RuleViolation, Sex, normalize_id_number, parse_id_number

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("raw", "value", "born", "sex"),
    [
        ("500112198503120238", "500112198503120238", date(1985, 3, 12), Sex.MALE),
        ("500243199212310562", "500243199212310562", date(1992, 12, 31), Sex.FEMALE),
        ("50010319870615006X", "50010319870615006X", date(1987, 6, 15), Sex.FEMALE),
        ("50010319870615006x", "50010319870615006X", date(1987, 6, 15), Sex.FEMALE),
        ("500101198802290019", "500101198802290019", date(1988, 2, 29), Sex.MALE),
    ],
    ids=["yubei-male", "pengshui-female", "check-X", "lower-x", "leap-day"],
)
def test_valid_numbers_parse(raw: str, value: str, born: date, sex: Sex) -> None:
    parsed = parse_id_number(raw, today=TODAY)
    assert (parsed.value, parsed.birth_date, parsed.sex) == (value, born, sex)


def test_normalize_accepts_full_width_digits_and_spaces() -> None:
    assert normalize_id_number(" ５００１１２ 19850312 023８ ") == "500112198503120238"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("500112198503120231", "ID_NUMBER_CHECKSUM"),
        ("500112198502300231", "ID_NUMBER_BIRTH_DATE"),
        ("500112199002290230", "ID_NUMBER_BIRTH_DATE"),
        ("50011219850312023", "ID_NUMBER_FORMAT"),
        ("500112185003120238", "ID_NUMBER_BIRTH_DATE"),
        ("50011219850312023X", "ID_NUMBER_CHECKSUM"),
    ],
    ids=["bad-check", "feb-30", "not-leap-1990", "17-chars", "year-1850", "X-where-8"],
)
def test_invalid_reference_examples_are_refused(raw: str, code: str) -> None:
    with pytest.raises(RuleViolation) as info:
        parse_id_number(raw, today=TODAY)
    assert info.value.code == code
    assert info.value.field == "idNumber"


def test_fifteen_digit_old_number_is_a_format_error() -> None:
    with pytest.raises(RuleViolation) as info:
        parse_id_number("500112850312023", today=TODAY)
    assert info.value.code == "ID_NUMBER_FORMAT"


def test_birth_date_in_the_future_is_refused() -> None:
    # 2027-01-01 with a correct check character: only the date is wrong.
    body = "50011220270101023"
    from schema.rules import mod11_2_check_char

    with pytest.raises(RuleViolation) as info:
        parse_id_number(body + mod11_2_check_char(body), today=TODAY)
    assert info.value.code == "ID_NUMBER_BIRTH_DATE"


def test_implausible_province_is_refused_but_other_provinces_pass() -> None:
    from schema.rules import mod11_2_check_char

    bad = "99011219850312023"
    with pytest.raises(RuleViolation) as info:
        parse_id_number(bad + mod11_2_check_char(bad), today=TODAY)
    assert info.value.code == "ID_NUMBER_REGION"
    beijing = "11010519850312023"
    assert parse_id_number(beijing + mod11_2_check_char(beijing), today=TODAY).region_code == (
        "110105"
    )


def test_checksum_message_does_not_reveal_the_expected_character() -> None:
    with pytest.raises(RuleViolation) as info:
        parse_id_number("500112198503120231", today=TODAY)
    assert "校验位" in info.value.message
    assert "8" not in info.value.message


def test_other_scripts_digits_are_not_an_id_number() -> None:
    # Arabic-Indic digits: ``int`` reads them (the check character would pass) but the number
    # is stored and hashed as ASCII. Found by the fuzzer's sibling case in login.
    arabic = "".join(chr(0x0660 + int(c)) for c in "50011219850312023") + "8"
    with pytest.raises(RuleViolation) as caught:
        parse_id_number(arabic, today=TODAY)
    assert caught.value.code == "ID_NUMBER_FORMAT"
