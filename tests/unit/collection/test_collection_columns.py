"""Header matching: canonical headers, aliases, markers and hints."""

from __future__ import annotations

import pytest

from schema.collection import COLUMNS, match_header
from schema.collection.columns import FILE_REQUIRED_FIELDS


def test_every_canonical_header_matches_its_field() -> None:
    assert all(match_header(column.header) == column.field for column in COLUMNS)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("身份证号码", "idNumber"),
        ("身份证号", "idNumber"),
        ("证件号码", "idNumber"),
        ("职称专业", "specialty"),
        ("评审专业名称", "specialty"),
        ("专业", "specialty"),
        ("审批机关单位", "authority"),
        ("审核机关（单位）", "authority"),
        ("审核机关", "authority"),
    ],
)
def test_alias_matches_its_field(header: str, field: str) -> None:
    assert match_header(header) == field


@pytest.mark.parametrize("header", ["*姓名", "姓名*", "＊姓名", " * 姓名 "])
def test_required_marker_is_ignored(header: str) -> None:
    assert match_header(header) == "name"


@pytest.mark.parametrize(
    "header",
    ["取得时间(YYYY-MM-DD)", "取得时间（年-月-日）", "*取得时间（年-月-日）", "取得时间【日期】"],
)
def test_trailing_parenthesised_hint_is_ignored(header: str) -> None:
    assert match_header(header) == "obtainedOn"


def test_whitespace_inside_header_is_ignored() -> None:
    assert match_header("公民身份\n号码") == "idNumber"


def test_api_field_name_matches_as_header() -> None:
    assert match_header("idNumber") == "idNumber"


def test_unknown_header_matches_nothing() -> None:
    assert match_header("工作单位") is None


def test_file_requires_name_and_id_number_columns() -> None:
    assert FILE_REQUIRED_FIELDS == ("name", "idNumber")
