"""审批机关 (notice Q5)."""

import pytest

from schema.reference.catalog import Catalog, load_catalog
from schema.rules import RuleViolation, check_authority


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("level", ["ZHENG_GAO", "副高级"])
@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "MUNICIPAL",
        "重庆市职称改革办公室",
        "重庆市人力资源和社会保障局(重庆市职称改革办公室)",
    ],
)
def test_senior_is_fixed_to_the_municipal_bureau(
    catalog: Catalog, level: str, given: str | None
) -> None:
    assert check_authority(level, given, catalog).code == "MUNICIPAL"


def test_senior_with_another_authority_is_refused(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_authority("FU_GAO", "渝北区人力资源和社会保障局", catalog)
    assert (info.value.code, info.value.field) == ("AUTHORITY_FIXED_FOR_SENIOR", "authority")
    assert "重庆市人力资源和社会保障局" in info.value.message


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("渝北区人力资源和社会保障局", "500112"),
        ("渝北区职改办", "500112"),
        ("渝北区职称改革办公室", "500112"),
        ("重庆市渝北区人力资源和社会保障局", "500112"),
        ("市教委职改办", "DEPT_EDU"),
        ("市教委", "DEPT_EDU"),
        ("万州区人力资源和社会保障局", "500101"),
        ("石柱县", "500240"),
        ("重庆建工集团", "UNIT_CQCEG"),
        ("500103", "500103"),
    ],
)
def test_intermediate_resolves_names_and_aliases(catalog: Catalog, typed: str, code: str) -> None:
    assert check_authority("ZHONG", typed, catalog).code == code


def test_intermediate_requires_an_authority(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_authority("ZHULI", " ", catalog)
    assert info.value.code == "AUTHORITY_REQUIRED"


def test_intermediate_unknown_authority(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_authority("ZHONG", "火星区人力资源和社会保障局", catalog)
    assert info.value.code == "AUTHORITY_UNKNOWN"


def test_municipal_bureau_does_not_approve_intermediate(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_authority("ZHONG", "重庆市人力资源和社会保障局", catalog)
    assert info.value.code == "AUTHORITY_LEVEL_MISMATCH"


def test_unknown_level(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_authority("高级", "MUNICIPAL", catalog)
    assert (info.value.code, info.value.field) == ("LEVEL_UNKNOWN", "level")
