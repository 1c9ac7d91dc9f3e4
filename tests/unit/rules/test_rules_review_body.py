"""评审机构 (notice Q6) and way obtained × level (REFERENCE.md §3)."""

import pytest

from schema.reference.catalog import Catalog, load_catalog
from schema.rules import (
    RuleViolation,
    check_review_body,
    check_way_level,
    normalize_review_body,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_brackets_are_normalised_to_full_width() -> None:
    assert normalize_review_body("重庆市卫生技术(内科)高级职称评审委员会") == (
        "重庆市卫生技术（内科）高级职称评审委员会"
    )


@pytest.mark.parametrize(
    ("level", "body"),
    [
        ("FU_GAO", "重庆市卫生技术(内科)高级职称评审委员会"),
        ("FU_GAO", "重庆市中小学教师高级职称评审委员会"),
        ("ZHONG", "重庆市工程技术中级职务渝北区评审委员会"),
        ("ZHONG", "某区工程系列中级评委会"),
    ],
)
def test_review_committees_pass(catalog: Catalog, level: str, body: str) -> None:
    authority = catalog.municipal_authority if level == "FU_GAO" else catalog.authority("500112")
    checked = check_review_body("评审", level, body, authority, catalog)
    assert checked.warnings == ()
    assert checked.value == normalize_review_body(body)


def test_review_body_not_a_committee_is_a_warning(catalog: Catalog) -> None:
    checked = check_review_body(
        "PS", "ZHONG", "渝北区人力资源和社会保障局", catalog.authority("500112"), catalog
    )
    assert [w.code for w in checked.warnings] == ["REVIEW_BODY_NOT_COMMITTEE"]


@pytest.mark.parametrize("way", ["PS", "ZP", "KP", "CD", "QR"])
def test_review_body_is_required(catalog: Catalog, way: str) -> None:
    level = "FU_GAO" if way in ("KP", "QR") else "ZHONG"
    authority = catalog.municipal_authority if level == "FU_GAO" else catalog.authority("500112")
    with pytest.raises(RuleViolation) as info:
        check_review_body(way, level, "", authority, catalog)
    assert (info.value.code, info.value.field) == ("REVIEW_BODY_REQUIRED", "reviewBody")


@pytest.mark.parametrize(
    ("way", "authority", "body"),
    [
        ("初定", "500101", "万州区人力资源和社会保障局"),
        ("初定", "500103", "渝中区职称改革办公室"),
        ("确认", "DEPT_EDU", "重庆市教育委员会职称改革办公室"),
        ("确认", "UNIT_CQCEG", "重庆建工集团"),
    ],
)
def test_initial_and_confirmation_name_the_authority(
    catalog: Catalog, way: str, authority: str, body: str
) -> None:
    assert (
        check_review_body(way, "ZHULI", body, catalog.authority(authority), catalog).value == body
    )


def test_initial_with_another_body_names_what_is_expected(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_review_body("CD", "ZHULI", "渝北区职改办", catalog.authority("500112"), catalog)
    assert info.value.code == "REVIEW_BODY_MISMATCH"
    assert "渝北区人力资源和社会保障局" in info.value.message
    assert "渝北区职称改革办公室" in info.value.message


def test_senior_confirmation_is_the_municipal_title_office(catalog: Catalog) -> None:
    municipal = catalog.municipal_authority
    assert check_review_body("QR", "ZHENG_GAO", "重庆市职称改革办公室", municipal, catalog).value
    with pytest.raises(RuleViolation) as info:
        check_review_body("QR", "ZHENG_GAO", "重庆市人力资源和社会保障局", municipal, catalog)
    assert info.value.code == "REVIEW_BODY_MISMATCH"
    assert "重庆市职称改革办公室" in info.value.message


def test_self_review_accepts_the_unit_name(catalog: Catalog) -> None:
    unit = catalog.authority("UNIT_CQCEG")
    assert check_review_body("ZZ", "ZHONG", "重庆建工集团", unit, catalog).warnings == ()


@pytest.mark.parametrize(
    ("way", "level"),
    [
        ("考试", "FU_GAO"),
        ("KS", "ZHENG_GAO"),
        ("初定", "FU_GAO"),
        ("CD", "ZHENG_GAO"),
        ("KP", "ZHONG"),
    ],
)
def test_way_level_mismatch(catalog: Catalog, way: str, level: str) -> None:
    with pytest.raises(RuleViolation) as info:
        check_way_level(way, level, catalog)
    assert (info.value.code, info.value.field) == ("WAY_LEVEL_MISMATCH", "wayObtained")


def test_initial_intermediate_is_a_warning(catalog: Catalog) -> None:
    assert [w.code for w in check_way_level("初定", "中级", catalog)] == ["WAY_LEVEL_UNUSUAL"]


@pytest.mark.parametrize(("way", "level"), [("PS", "ZHENG_GAO"), ("CD", "YUAN"), ("KS", "ZHONG")])
def test_allowed_way_level_pairs(catalog: Catalog, way: str, level: str) -> None:
    assert check_way_level(way, level, catalog) == []


def test_unknown_way(catalog: Catalog) -> None:
    with pytest.raises(RuleViolation) as info:
        check_way_level("抽签", "ZHONG", catalog)
    assert (info.value.code, info.value.field) == ("WAY_OBTAINED_UNKNOWN", "wayObtained")
