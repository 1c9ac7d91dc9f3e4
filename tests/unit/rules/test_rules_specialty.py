"""评审专业 / 本地评审专业 (notice Q7)."""

import pytest

from schema.reference.catalog import Catalog, load_catalog
from schema.rules import RuleViolation, check_specialty


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("series", "specialty"),
    [("04", "内科"), ("05", "给排水"), ("工程", "建筑工程"), ("22", "数学"), ("05", "05-001")],
)
def test_listed_specialty_without_local(catalog: Catalog, series: str, specialty: str) -> None:
    choice = check_specialty(series, specialty, None, catalog)
    assert not choice.specialty.other and choice.local_specialty is None


def test_other_with_local_specialty(catalog: Catalog) -> None:
    choice = check_specialty("05", "其他", " 桥梁检测 ", catalog)
    assert choice.specialty.other and choice.local_specialty == "桥梁检测"


def test_specialty_required(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("05", None, None, catalog)
    assert (info.value.code, info.value.field) == ("SPECIALTY_REQUIRED", "specialty")


def test_unlisted_specialty_points_to_other(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("05", "桥梁检测", None, catalog)
    assert (info.value.code, info.value.field) == ("SPECIALTY_UNKNOWN", "specialty")
    assert "其他" in info.value.message


def test_specialty_of_another_series_is_unknown_here(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("05", "内科", None, catalog)
    assert info.value.code == "SPECIALTY_UNKNOWN"


def test_local_specialty_only_with_other(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("04", "内科", "心血管内科", catalog)
    assert (info.value.code, info.value.field) == ("LOCAL_SPECIALTY_NOT_ALLOWED", "localSpecialty")


def test_other_requires_local_specialty(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("04", "其他", "  ", catalog)
    assert (info.value.code, info.value.field) == ("LOCAL_SPECIALTY_REQUIRED", "localSpecialty")


def test_local_specialty_that_is_listed_must_be_chosen_from_the_list(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("05", "其他", "给排水", catalog)
    assert (info.value.code, info.value.field) == ("LOCAL_SPECIALTY_LISTED", "localSpecialty")


def test_unknown_series(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_specialty("烹饪", "川菜", None, catalog)
    assert (info.value.code, info.value.field) == ("SERIES_UNKNOWN", "series")
