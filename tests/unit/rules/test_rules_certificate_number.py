"""证书编号: paper numbers before 2021, system numbers from 2021 (notice Q4)."""

import pytest

from schema.reference.catalog import load_catalog
from schema.rules import (
    RuleViolation,
    check_certificate_number,
    format_system_number,
    has_valid_mod11_2,
    normalize_certificate_number,
    validate_system_number,
)

CATALOG = load_catalog()


def test_normalize_strips_spaces_hyphens_and_upper_cases() -> None:
    assert normalize_certificate_number(" ０113-2019 ab12 ") == "01132019AB12"


def test_paper_number_before_2021_is_accepted_normalised() -> None:
    checked = check_certificate_number("0113 0500 1234", obtained_year=2015)
    assert (checked.value, checked.warnings) == ("011305001234", ())


def test_paper_number_is_required_before_2021() -> None:
    with pytest.raises(RuleViolation) as info:
        check_certificate_number("  ", obtained_year=2020)
    assert (info.value.code, info.value.field) == (
        "CERTIFICATE_NUMBER_REQUIRED",
        "certificateNumber",
    )


def test_paper_number_must_start_with_0113() -> None:
    with pytest.raises(RuleViolation) as info:
        check_certificate_number("0213050012345", obtained_year=2015)
    assert info.value.code == "CERTIFICATE_NUMBER_PREFIX"
    assert "0113开头" in info.value.message


@pytest.mark.parametrize("raw", ["0113AB", "0113" + "9" * 27, "0113中文编号1234"])
def test_paper_number_shape(raw: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_certificate_number(raw, obtained_year=2015)
    assert info.value.code == "CERTIFICATE_NUMBER_FORMAT"


def test_other_format_is_accepted_with_a_warning_when_the_person_says_so() -> None:
    checked = check_certificate_number("JS2018-00123", obtained_year=2018, allow_other_format=True)
    assert checked.value == "JS201800123"
    assert [w.code for w in checked.warnings] == ["CERTIFICATE_NUMBER_OTHER_FORMAT"]


def test_no_number_from_2021() -> None:
    assert check_certificate_number(None, obtained_year=2021).value is None


def test_number_must_be_empty_from_2021() -> None:
    with pytest.raises(RuleViolation) as info:
        check_certificate_number("011305001234", obtained_year=2021)
    assert info.value.code == "CERTIFICATE_NUMBER_NOT_ALLOWED"
    assert "系统自动" in info.value.message


def test_system_number_layout_and_check_character() -> None:
    number = format_system_number(2022, "ZHONG", 1, catalog=CATALOG)
    assert number[:14] == "20225030000001"
    assert len(number) == 15 and has_valid_mod11_2(number)


@pytest.mark.parametrize(
    ("level", "digit"), [("ZHENG_GAO", "1"), ("FU_GAO", "2"), ("ZHULI", "4"), ("YUAN", "5")]
)
def test_system_number_level_digit(level: str, digit: str) -> None:
    assert format_system_number(2023, level, 42, catalog=CATALOG)[6] == digit


def test_system_number_round_trips() -> None:
    parsed = validate_system_number(
        format_system_number(2024, "FU_GAO", 1234567, catalog=CATALOG)
    )
    assert (parsed.year, parsed.level_digit, parsed.sequence) == (2024, 2, 1234567)


@pytest.mark.parametrize(
    ("year", "seq"),
    [(2020, 1), (2022, 0), (2022, 10_000_000)],
    ids=["pre-2021", "seq-0", "seq-big"],
)
def test_system_number_out_of_range_is_a_programming_error(year: int, seq: int) -> None:
    with pytest.raises(ValueError):
        format_system_number(year, "ZHONG", seq, catalog=CATALOG)


def test_system_number_with_wrong_check_is_refused() -> None:
    good = format_system_number(2022, "ZHONG", 7, catalog=CATALOG)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(RuleViolation) as info:
        validate_system_number(bad)
    assert info.value.code == "CERTIFICATE_NUMBER_CHECKSUM"


@pytest.mark.parametrize(
    "raw", ["2022503000000", "202051300000017", "202260300000017", "202250600000017"]
)
def test_system_number_with_wrong_shape_is_refused(raw: str) -> None:
    with pytest.raises(RuleViolation) as info:
        validate_system_number(raw)
    assert info.value.code == "CERTIFICATE_NUMBER_FORMAT"
