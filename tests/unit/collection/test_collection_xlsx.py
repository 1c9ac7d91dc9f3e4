"""Reading XLSX files written by xlsxwriter: typed cells, repairs, blank and total rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from collection_test_support import VALID_ID, read_rows, write_xlsx

from schema.collection import CollectionFile, SourceRow, open_collection_file

HEADER = [
    "序号",
    "*姓名",
    "身份证号码",
    "取得时间(YYYY-MM-DD)",
    "发证时间",
    "证书编号",
    "职称级别",
    "备注",
    "工作单位",
]
ROWS: list[list[object]] = [
    HEADER,
    [
        1,
        "张三",
        500112198001011234,
        date(2021, 12, 24),
        44607,
        113201600012,
        "中级",
        None,
        "某单位",
    ],
    [
        2,
        "李四",
        "50011219800101123X",
        "2021年12月24日",
        "2022/2/15",
        "01132016000123",
        " 中级\u3000",
    ],
    [],
    [3, "王五", 500112800101123, "2021.12.24", 20220215, None, 3],
    [4],
    [5, "赵六", VALID_ID, "不详", 60, None, None, "补录"],
    ["合计", None, "4人"],
    [],
]


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory: pytest.TempPathFactory) -> tuple[CollectionFile, list[SourceRow]]:
    path = write_xlsx(tmp_path_factory.mktemp("xlsx") / "upload.bin", ROWS)
    return read_rows(path)


def _row(xlsx: tuple[CollectionFile, list[SourceRow]], number: int) -> SourceRow:
    return next(row for row in xlsx[1] if row.number == number)


def test_format_is_xlsx_whatever_the_file_name(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert xlsx[0].format == "xlsx"


def test_headers_keep_the_text_of_the_file(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert xlsx[0].headers["name"] == "*姓名"


def test_unknown_header_is_reported_but_serial_and_remarks_are_not(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert xlsx[0].ignored_headers == ["工作单位"]


def test_row_numbers_are_the_spreadsheet_row_numbers(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert [row.number for row in xlsx[1]] == [2, 3, 5, 7]


def test_numeric_18_digit_id_number_is_noted(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert [note.code for note in _row(xlsx, 2).notes if note.field == "idNumber"] == [
        "ID_NUMBER_STORED_AS_NUMBER"
    ]


def test_numeric_id_number_becomes_the_15_digits_excel_shows(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert _row(xlsx, 2).values["idNumber"] == "500112198001011000"


def test_numeric_15_digit_id_number_is_converted_without_note(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    row = _row(xlsx, 5)
    assert (row.values["idNumber"], row.notes) == ("500112800101123", ())


def test_text_id_number_is_kept(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 3).values["idNumber"] == "50011219800101123X"


def test_date_cell_becomes_date(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 2).values["obtainedOn"] == date(2021, 12, 24)


def test_serial_number_in_date_column_becomes_date(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert _row(xlsx, 2).values["issuedOn"] == date(2022, 2, 15)


def test_serial_60_is_passed_through_as_text(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 7).values["issuedOn"] == "60"


def test_chinese_text_date_becomes_date(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 3).values["obtainedOn"] == date(2021, 12, 24)


def test_slash_text_date_becomes_date(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 3).values["issuedOn"] == date(2022, 2, 15)


def test_dotted_text_date_becomes_date(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 5).values["obtainedOn"] == date(2021, 12, 24)


def test_compact_numeric_date_becomes_date(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 5).values["issuedOn"] == date(2022, 2, 15)


def test_unparseable_date_is_passed_through(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 7).values["obtainedOn"] == "不详"


def test_numeric_certificate_number_gets_its_leading_zero_back(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert _row(xlsx, 2).values["certificateNumber"] == "0113201600012"


def test_restored_leading_zero_is_noted(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert "CERTIFICATE_NUMBER_LEADING_ZERO_RESTORED" in {n.code for n in _row(xlsx, 2).notes}


def test_number_in_text_column_has_no_point_zero(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert _row(xlsx, 5).values["level"] == "3"


def test_values_are_stripped_including_ideographic_space(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    assert _row(xlsx, 3).values["level"] == "中级"


def test_empty_cell_is_none(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert _row(xlsx, 5).values["certificateNumber"] is None


def test_ignored_columns_are_not_in_values(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert set(_row(xlsx, 2).values) == {
        "name",
        "idNumber",
        "obtainedOn",
        "issuedOn",
        "certificateNumber",
        "level",
    }


def test_total_row_is_ignored_with_a_note(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert [(n.row, n.message) for n in xlsx[0].notes if n.code == "TOTAL_ROW_IGNORED"] == [
        (8, "第8行为合计行，已忽略")
    ]


def test_interior_blank_rows_are_summarised_in_one_note(
    xlsx: tuple[CollectionFile, list[SourceRow]],
) -> None:
    messages = [n.message for n in xlsx[0].notes if n.code == "BLANK_ROWS_SKIPPED"]
    assert messages == ["第4、6行为空行（没有填写任何数据项），已跳过"]


def test_count_rows_counts_data_rows_only(xlsx: tuple[CollectionFile, list[SourceRow]]) -> None:
    assert xlsx[0].count_rows() == 4


def test_rows_resume_after_the_given_row(tmp_path: Path) -> None:
    opened = open_collection_file(write_xlsx(tmp_path / "a.xlsx", ROWS))
    assert [row.number for row in opened.rows(start_after=3)] == [5, 7]


def test_first_visible_sheet_is_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", ROWS, hidden_sheet_first=True)
    assert open_collection_file(path).sheet_name == "数据"


def test_header_below_a_title_row_is_found(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx", [["2021年职称评审结果"], ["姓名", "公民身份号码"], ["张三", VALID_ID]]
    )
    assert [row.number for row in read_rows(path)[1]] == [3]


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (44554, date(2021, 12, 24)),
    ],
)
def test_excel_serial_numbers_follow_the_1900_date_system(
    tmp_path: Path, serial: int, expected: date
) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx", [["姓名", "公民身份号码", "取得时间"], ["张三", VALID_ID, serial]]
    )
    assert read_rows(path)[1][0].values["obtainedOn"] == expected
