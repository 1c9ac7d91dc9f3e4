"""The shipped reference data: every file parses, and the facts of REFERENCE.md hold."""

import json
from collections import Counter
from pathlib import Path

import pytest

from schema.reference.catalog import DATA_DIR, AuthorityKind, Catalog, load_catalog, lookup_key


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.json")), ids=lambda p: p.name)
def test_each_file_is_versioned_utf8_json(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data["version"], int) and data["version"] >= 1
    assert isinstance(data["entries"], list) and data["entries"]
    assert set(data) <= {"version", "entries", "notes"}


@pytest.mark.parametrize("path", sorted(DATA_DIR.glob("*.json")), ids=lambda p: p.name)
def test_each_entry_has_a_unique_key_for_the_database_loader(path: Path) -> None:
    # schema.services.reference stores one row per entry, keyed by "code" (or "field").
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    keys = [e.get("code", e.get("field")) for e in entries]
    assert all(isinstance(k, str) and k for k in keys)
    assert len(keys) == len(set(keys))


def test_every_file_is_loaded(catalog: Catalog) -> None:
    on_disk = {p.name for p in DATA_DIR.glob("*.json")}
    assert set(catalog.versions) == on_disk


def test_five_levels_with_digits_one_to_five(catalog: Catalog) -> None:
    assert [(lv.code, lv.digit, lv.band.value) for lv in catalog.levels] == [
        ("ZHENG_GAO", 1, "GAO"),
        ("FU_GAO", 2, "GAO"),
        ("ZHONG", 3, "ZHONG"),
        ("ZHULI", 4, "CHU"),
        ("YUAN", 5, "CHU"),
    ]
    assert [lv.band_name for lv in catalog.levels] == ["高级", "高级", "中级", "初级", "初级"]


def test_38_districts_and_counties_with_gbt2260_codes(catalog: Catalog) -> None:
    districts = [a for a in catalog.authorities if a.kind is AuthorityKind.DISTRICT]
    assert len(districts) == 38
    assert Counter(a.division_kind for a in districts) == {"区": 26, "县": 8, "自治县": 4}
    for a in districts:
        assert a.division_code == a.code and a.code.startswith("50") and len(a.code) == 6, a
        assert a.name.endswith("人力资源和社会保障局"), a.name


def test_functional_zones_departments_and_unit(catalog: Catalog) -> None:
    kinds = Counter(a.kind for a in catalog.authorities)
    assert kinds[AuthorityKind.ZONE] == 3
    assert kinds[AuthorityKind.DEPARTMENT] >= 20
    assert catalog.authority("UNIT_CQCEG").name == "重庆建工集团"
    assert catalog.resolve_authority("市教委") is catalog.authority("DEPT_EDU")


def test_only_the_municipal_bureau_is_fixed_for_senior(catalog: Catalog) -> None:
    fixed = [a for a in catalog.authorities if a.fixed_for_senior]
    assert [a.code for a in fixed] == ["MUNICIPAL"]
    assert fixed[0].title_office == "重庆市职称改革办公室"
    assert fixed[0].display_name == "重庆市人力资源和社会保障局(重庆市职称改革办公室)"


def test_every_name_and_alias_resolves_to_exactly_its_authority(catalog: Catalog) -> None:
    for a in catalog.authorities:
        for name in a.names:
            assert catalog.resolve_authority(name) is a, (name, a.code)


def test_district_aliases_include_title_office_forms(catalog: Catalog) -> None:
    for a in catalog.authorities:
        if a.kind is AuthorityKind.DISTRICT:
            region = a.name.removesuffix("人力资源和社会保障局")
            assert catalog.resolve_authority(f"{region}职改办") is a
            assert catalog.resolve_authority(f"{region}职称改革办公室") is a


def test_notice_examples_of_authorities(catalog: Catalog) -> None:
    assert catalog.resolve_authority("渝北区职改办") is catalog.authority("500112")
    assert catalog.resolve_authority("市教委职改办") is catalog.authority("DEPT_EDU")
    assert catalog.authority("DEPT_EDU").title_office == "重庆市教育委员会职称改革办公室"


def test_title_codes_unique_and_levels_valid(catalog: Catalog) -> None:
    codes = [t.code for s in catalog.series_list for t in s.titles]
    assert len(codes) == len(set(codes))
    assert catalog.title("0501").name == "正高级工程师"
    assert catalog.title("0505").name == "技术员"


def test_series_cover_reference_rows(catalog: Catalog) -> None:
    names = {s.name for s in catalog.series_list}
    for expected in ("高等学校教师", "卫生技术人员", "工程技术人员", "中小学教师", "技工院校教师"):
        assert expected in names
    assert len(catalog.series_list) >= 27


def test_unconfirmed_rows_are_marked(catalog: Catalog) -> None:
    assert catalog.series("05").verified and catalog.series("05").code_verified
    assert not catalog.series("22").verified  # rows 14–27 are [M]
    assert catalog.series("09").verified and not catalog.series("09").code_verified
    assert not catalog.authority("DEPT_FORESTRY").verified
    assert not catalog.validity_scope("NATIONAL").verified
    assert catalog.validity_scope("CITY").verified


def test_former_titles_carry_the_current_level(catalog: Catalog) -> None:
    for series, name, level in [
        ("22", "中学高级教师", "FU_GAO"),
        ("22", "小学高级教师", "ZHONG"),
        ("05", "教授级高级工程师", "ZHENG_GAO"),
    ]:
        former = catalog.series(series).find_former_title(name)
        assert former is not None and former.level == level, name


def test_every_series_has_exactly_one_other_specialty_last(catalog: Catalog) -> None:
    for s in catalog.series_list:
        items = catalog.specialties_for(s.code)
        assert items[-1].name == "其他" and items[-1].other, s.code
        assert sum(i.other for i in items) == 1, s.code


def test_notice_specialties_are_listed(catalog: Catalog) -> None:
    assert catalog.specialty("04", "内科") is not None
    assert catalog.specialty("05", "给排水") is not None
    assert catalog.specialty("05", "建筑工程") is not None
    assert catalog.specialty("22", "语文") is not None


def test_ways_obtained(catalog: Catalog) -> None:
    assert {w.code for w in catalog.ways_obtained} == {"PS", "KS", "KP", "CD", "QR", "ZP", "ZZ"}
    assert "FU_GAO" not in catalog.way("KS").allowed_levels
    assert "FU_GAO" not in catalog.way("CD").allowed_levels


def test_yubei_batch_exactly_as_the_notice(catalog: Catalog) -> None:
    b = catalog.batch("YUBEI_ENG_ZHONG_2021")
    assert b.review_body == "重庆市工程技术中级职务渝北区评审委员会"
    assert (b.obtained_on.isoformat(), b.issued_on.isoformat()) == ("2021-12-24", "2022-02-15")
    assert b.authority.name == "渝北区人力资源和社会保障局"
    assert b.validity_scope.name == "全市"
    assert [(e.name, e.approval_document) for e in b.employer_types] == [
        ("事业单位", "渝北职改办〔2022〕20号"),
        ("区属国有企业", "渝北职改办〔2022〕21号"),
        ("非公企业", "渝北职改办〔2022〕22号"),
    ]


def test_reason_lists(catalog: Catalog) -> None:
    assert catalog.return_reason("PHOTO_NOT_COMPLIANT").field == "photo"
    assert catalog.return_reason("OTHER").requires_comment
    assert catalog.revocation_reason("FRAUD").requires_comment
    assert catalog.correction_field("approvalDocument").name == "批准文号"


def test_lookup_key_ignores_width_and_spacing() -> None:
    assert lookup_key(" 重庆市人力资源和社会保障局（重庆市职称改革办公室） ") == lookup_key(
        "重庆市人力资源和社会保障局(重庆市职称改革办公室)"
    )
