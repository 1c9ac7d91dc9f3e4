"""登记范围 (notice §一, Q1, Q4, Q8)."""

import pytest

from schema.rules import (
    ExistingRecord,
    RegistrationSource,
    RuleViolation,
    check_existing_record,
    check_registration_scope,
)

ALL_BANDS = ["GAO", "ZHONG", "CHU"]


@pytest.mark.parametrize("band", ALL_BANDS)
def test_paper_certificate_before_2021_is_registrable(band: str) -> None:
    check_registration_scope(obtained_year=2019, band=band, source=RegistrationSource.PAPER)


@pytest.mark.parametrize("band", ALL_BANDS)
@pytest.mark.parametrize(
    "source",
    [
        RegistrationSource.OTHER_SYSTEM,
        RegistrationSource.OFFLINE_REVIEW,
        RegistrationSource.OFFLINE_INITIAL,
        RegistrationSource.OFFLINE_CONFIRMATION,
    ],
)
def test_since_2021_outside_the_title_system_is_registrable(
    band: str, source: RegistrationSource
) -> None:
    check_registration_scope(obtained_year=2021, band=band, source=source)


@pytest.mark.parametrize("band", ["ZHONG", "CHU"])
def test_since_2021_title_system_intermediate_and_junior_are_automatic(band: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_registration_scope(obtained_year=2022, band=band, source="TITLE_SYSTEM")
    assert info.value.code == "SCOPE_TITLE_SYSTEM_AUTOMATIC"
    assert "无需登记" in info.value.message and "待完善" in info.value.message


def test_since_2021_title_system_senior_is_outside_scope() -> None:
    with pytest.raises(RuleViolation) as info:
        check_registration_scope(obtained_year=2022, band="GAO", source="TITLE_SYSTEM")
    assert info.value.code == "SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE"


@pytest.mark.parametrize("source", ["OFFLINE_REVIEW", "OTHER_SYSTEM", "TITLE_SYSTEM"])
def test_before_2021_only_paper_is_registrable(source: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_registration_scope(obtained_year=2020, band="ZHONG", source=source)
    assert info.value.code == "SCOPE_PRE_2021_NOT_PAPER"
    assert "0113" in info.value.message


def test_paper_source_since_2021_is_explained() -> None:
    with pytest.raises(RuleViolation) as info:
        check_registration_scope(obtained_year=2021, band="ZHONG", source="PAPER")
    assert info.value.code == "SCOPE_PAPER_SINCE_2021"


@pytest.mark.parametrize(("band", "source"), [("ZHONG", "FAX"), ("MIDDLE", "PAPER")])
def test_unknown_source_or_band(band: str, source: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_registration_scope(obtained_year=2021, band=band, source=source)
    assert info.value.code == "SCOPE_SOURCE_UNKNOWN"


def test_no_existing_record_passes() -> None:
    check_existing_record(None)


def test_existing_pending_record_is_completed_not_registered() -> None:
    with pytest.raises(RuleViolation) as info:
        check_existing_record(ExistingRecord.PENDING_COMPLETION)
    assert info.value.code == "SCOPE_PENDING_COMPLETION"
    assert "完善" in info.value.message


def test_existing_record_is_not_registered_twice() -> None:
    with pytest.raises(RuleViolation) as info:
        check_existing_record("REGISTERED")
    assert info.value.code == "SCOPE_ALREADY_REGISTERED"
