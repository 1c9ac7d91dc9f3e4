"""The per-job report: CSV and XLSX read back."""

from __future__ import annotations

import csv
import io
from io import BytesIO

from python_calamine import CalamineWorkbook

from schema.collection import ReportLine, report_csv, report_xlsx
from schema.enums import ImportOutcome

LINES = [
    ReportLine(
        2, "公民身份号码", ImportOutcome.REFUSED, "ID_NUMBER_CHECK", "身份证号码校验位不正确", None
    ),
    ReportLine(3, None, ImportOutcome.EXISTING, "DUPLICATE", "该证书已登记", "R-2021-0001"),
    ReportLine(None, None, ImportOutcome.NOTE, "BLANK_ROWS_SKIPPED", "第5行为空行，已跳过", None),
    ReportLine(6, "姓名", ImportOutcome.REFUSED, "NAME_FORMAT", "=HYPERLINK(1)", None),
]
HEADER = ["行号", "列", "结果", "代码", "原因", "已有记录"]


def _csv_rows() -> list[list[str]]:
    data = report_csv(LINES)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx_rows() -> list[list[object]]:
    return (
        CalamineWorkbook.from_filelike(BytesIO(report_xlsx(LINES)))
        .get_sheet_by_index(0)
        .to_python()
    )


def test_csv_report_starts_with_a_utf8_bom() -> None:
    assert report_csv([]).startswith(b"\xef\xbb\xbf")


def test_csv_report_has_the_header_row() -> None:
    assert _csv_rows()[0] == HEADER


def test_csv_report_reads_back_line_by_line() -> None:
    assert _csv_rows()[1:3] == [
        ["2", "公民身份号码", "未导入", "ID_NUMBER_CHECK", "身份证号码校验位不正确", ""],
        ["3", "", "已有记录", "DUPLICATE", "该证书已登记", "R-2021-0001"],
    ]


def test_csv_report_shows_note_outcome_in_chinese() -> None:
    assert _csv_rows()[3][:3] == ["", "", "提示"]


def test_csv_report_defuses_formula_like_text() -> None:
    assert _csv_rows()[4][4] == "'=HYPERLINK(1)"


def test_xlsx_report_has_the_header_row() -> None:
    assert _xlsx_rows()[0] == HEADER


def test_xlsx_report_reads_back_line_by_line() -> None:
    assert _xlsx_rows()[1:3] == [
        [2.0, "公民身份号码", "未导入", "ID_NUMBER_CHECK", "身份证号码校验位不正确", ""],
        [3.0, "", "已有记录", "DUPLICATE", "该证书已登记", "R-2021-0001"],
    ]


def test_xlsx_report_keeps_formula_like_text_as_text() -> None:
    assert _xlsx_rows()[4][4] == "=HYPERLINK(1)"


def test_xlsx_report_without_lines_has_only_the_header() -> None:
    rows = (
        CalamineWorkbook.from_filelike(BytesIO(report_xlsx([]))).get_sheet_by_index(0).to_python()
    )
    assert rows == [HEADER]
