"""The per-job report a clerk downloads after a bulk import: one line per finding.

Columns: 行号, 列, 结果, 代码, 原因, 已有记录. Text cells are written as text in both formats
(no formulas): in CSV a cell that a spreadsheet would take for a formula is prefixed with
``'`` (CSV injection); in XLSX every text is written with ``write_string``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from schema.enums import ImportOutcome

__all__ = [
    "REPORT_HEADERS",
    "ReportLine",
    "report_csv",
    "report_xlsx",
]

REPORT_HEADERS: tuple[str, ...] = ("行号", "列", "结果", "代码", "原因", "已有记录")
_XLSX_MAX_ROWS = 1_048_576
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One finding: a refused row, a row matching an existing record, or a note."""

    row: int | None
    column: str | None
    """Header text as in the uploaded file."""
    outcome: ImportOutcome
    code: str
    message: str
    ref: str | None = None
    """Reference of the existing record, when there is one."""


def _cells(line: ReportLine) -> tuple[int | None, str, str, str, str, str]:
    return (
        line.row,
        line.column or "",
        line.outcome.label,
        line.code,
        line.message,
        line.ref or "",
    )


def _csv_safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def report_csv(lines: Iterable[ReportLine]) -> bytes:
    """The report as UTF-8 CSV with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_HEADERS)
    for line in lines:
        row, *texts = _cells(line)
        writer.writerow(["" if row is None else row, *map(_csv_safe, texts)])
    return buffer.getvalue().encode("utf-8-sig")


def report_xlsx(lines: Iterable[ReportLine]) -> bytes:
    """The report as XLSX (rows streamed to temporary files: constant memory mode).

    Past Excel's row limit the report continues on a further sheet.
    """
    import xlsxwriter  # at the first XLSX, not at start-up (issue 10, idle memory)

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    widths = (8, 18, 10, 36, 60, 24)

    def new_sheet(number: int) -> xlsxwriter.worksheet.Worksheet:
        sheet = workbook.add_worksheet("处理结果" if number == 1 else f"处理结果{number}")
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        for index, title in enumerate(REPORT_HEADERS):
            sheet.write_string(0, index, title, bold)
        return sheet

    sheets = 1
    sheet = new_sheet(sheets)
    row_index = 0
    for line in lines:
        row_index += 1
        if row_index >= _XLSX_MAX_ROWS:
            sheets += 1
            sheet = new_sheet(sheets)
            row_index = 1
        row, *texts = _cells(line)
        if row is not None:
            sheet.write_number(row_index, 0, row)
        for index, text in enumerate(texts, start=1):
            if text:
                sheet.write_string(row_index, index, text)
    workbook.close()
    return output.getvalue()
