"""职称名称 against level and series, with former names (REFERENCE.md §2)."""

import pytest

from schema.reference.catalog import Catalog, load_catalog
from schema.rules import RuleViolation, check_title


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("series", "level", "name", "code"),
    [
        ("05", "FU_GAO", "高级工程师", "0502"),
        ("工程技术人员", "中级", "工程师", "0503"),
        ("04", "ZHONG", "主治医师", "0403"),
        ("01", "ZHENG_GAO", "教授", "0101"),
        ("22", "ZHONG", "一级教师", "2203"),
    ],
)
def test_current_titles(catalog: Catalog, series: str, level: str, name: str, code: str) -> None:
    match = check_title(series, level, name, catalog)
    assert (match.title.code, match.former, match.warnings) == (code, None, ())


@pytest.mark.parametrize(
    ("series", "level", "former", "current"),
    [
        ("05", "ZHENG_GAO", "教授级高级工程师", "正高级工程师"),
        ("05", "ZHENG_GAO", "研究员级高级工程师", "正高级工程师"),
        ("22", "FU_GAO", "中学高级教师", "高级教师"),
        ("22", "ZHONG", "小学高级教师", "一级教师"),
    ],
)
def test_former_names_map_to_the_current_level(
    catalog: Catalog, series: str, level: str, former: str, current: str
) -> None:
    match = check_title(series, level, former, catalog)
    assert match.title.name == current
    assert [w.code for w in match.warnings] == ["TITLE_FORMER_NAME"]


@pytest.mark.parametrize(
    ("series", "level", "name"),
    [
        ("05", "FU_GAO", "工程师"),
        ("05", "FU_GAO", "教授级高级工程师"),
        ("22", "FU_GAO", "小学高级教师"),
    ],
)
def test_level_mismatch(catalog: Catalog, series: str, level: str, name: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_title(series, level, name, catalog)
    assert (info.value.code, info.value.field) == ("TITLE_LEVEL_MISMATCH", "titleName")


def test_title_of_another_series(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_title("05", "ZHENG_GAO", "教授", catalog)
    assert (info.value.code, info.value.field) == ("TITLE_SERIES_MISMATCH", "titleName")
    assert "高等学校教师" in info.value.message


def test_unknown_title(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_title("05", "ZHONG", "大工程师", catalog)
    assert (info.value.code, info.value.field) == ("TITLE_UNKNOWN", "titleName")


def test_title_required(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_title("05", "ZHONG", "", catalog)
    assert info.value.code == "TITLE_REQUIRED"
