"""取得时间 / 发证时间 (notice Q3)."""

from datetime import date

import pytest

from schema.rules import RuleViolation, check_dates, parse_date

TODAY = date(2026, 6, 1)


def test_yubei_batch_dates_pass() -> None:
    check_dates(date(2021, 12, 24), date(2022, 2, 15), today=TODAY, birth_date=date(1985, 3, 12))


def test_same_day_is_allowed() -> None:
    check_dates(date(2021, 12, 24), date(2021, 12, 24), today=TODAY)


def test_obtained_after_issued() -> None:
    with pytest.raises(RuleViolation) as info:
        check_dates(date(2022, 3, 1), date(2022, 2, 15), today=TODAY)
    assert (info.value.code, info.value.field) == ("OBTAINED_AFTER_ISSUED", "obtainedOn")


@pytest.mark.parametrize(
    ("obtained", "issued", "field"),
    [
        (date(2026, 6, 2), date(2026, 6, 3), "obtainedOn"),
        (date(2026, 5, 1), date(2026, 6, 2), "issuedOn"),
    ],
)
def test_dates_in_the_future(obtained: date, issued: date, field: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_dates(obtained, issued, today=TODAY)
    assert (info.value.code, info.value.field) == ("DATE_IN_FUTURE", field)


def test_dates_before_1978() -> None:
    with pytest.raises(RuleViolation) as info:
        check_dates(date(1977, 12, 31), date(1978, 3, 1), today=TODAY)
    assert (info.value.code, info.value.field) == ("DATE_TOO_EARLY", "obtainedOn")


def test_holder_under_18_when_obtained() -> None:
    with pytest.raises(RuleViolation) as info:
        check_dates(date(2003, 3, 11), date(2003, 6, 1), today=TODAY, birth_date=date(1985, 3, 12))
    assert info.value.code == "OBTAINED_BEFORE_ADULTHOOD"


def test_holder_exactly_18_passes() -> None:
    check_dates(date(2003, 3, 12), date(2003, 6, 1), today=TODAY, birth_date=date(1985, 3, 12))


def test_parse_date_accepts_iso_and_date() -> None:
    assert parse_date(" 2021-12-24 ", field="obtainedOn") == date(2021, 12, 24)
    assert parse_date(date(2021, 12, 24), field="obtainedOn") == date(2021, 12, 24)


def test_parse_date_refuses_other_forms() -> None:
    with pytest.raises(RuleViolation) as info:
        parse_date("2021年12月24日", field="obtainedOn")
    assert (info.value.code, info.value.field) == ("DATE_FORMAT", "obtainedOn")
