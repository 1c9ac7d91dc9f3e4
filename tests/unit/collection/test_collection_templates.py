"""Templates: the reader reads them back; marks, formats and notes per kind."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import get_args

import pytest
from python_calamine import CalamineWorkbook

from schema.collection import (
    COLUMNS,
    REQUIRED_FIELDS,
    TemplateKind,
    open_collection_file,
    template_csv,
    template_xlsx,
)

KINDS: tuple[TemplateKind, ...] = get_args(TemplateKind)
ALL_FIELDS = {column.field for column in COLUMNS}


@pytest.mark.parametrize("kind", KINDS)
def test_csv_template_reads_back_with_every_field(tmp_path: Path, kind: TemplateKind) -> None:
    path = tmp_path / "template.csv"
    path.write_bytes(template_csv(kind))
    assert set(open_collection_file(path).headers) == ALL_FIELDS


@pytest.mark.parametrize("kind", KINDS)
def test_xlsx_template_reads_back_with_every_field(tmp_path: Path, kind: TemplateKind) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_xlsx(kind))
    assert set(open_collection_file(path).headers) == ALL_FIELDS


def test_csv_template_starts_with_a_utf8_bom() -> None:
    assert template_csv("HISTORICAL").startswith(b"\xef\xbb\xbf")


def test_xlsx_template_marks_title_system_required_headers() -> None:
    headers = _sheet(template_xlsx("TITLE_SYSTEM"), "数据")[0]
    assert {h.lstrip("*") for h in headers if h.startswith("*")} == {
        c.header for c in COLUMNS if c.field in REQUIRED_FIELDS["TITLE_SYSTEM"]
    }


def test_xlsx_template_marks_only_name_and_id_number_for_historical() -> None:
    headers = _sheet(template_xlsx("HISTORICAL"), "数据")[0]
    assert [h for h in headers if h.startswith("*")] == ["*姓名", "*公民身份号码"]


def test_instructions_sheet_has_one_line_per_column() -> None:
    rows = _sheet(template_xlsx("TITLE_SYSTEM"), "填写说明")
    assert [row[0] for row in rows[1 : len(COLUMNS) + 1]] == [c.header for c in COLUMNS]


def test_historical_instructions_emphasise_the_0113_certificate_number() -> None:
    rows = _sheet(template_xlsx("HISTORICAL"), "填写说明")
    note = next(row[2] for row in rows if row[0] == "证书编号")
    assert "0113" in note and "重点" in note


def test_id_number_column_is_formatted_as_text() -> None:
    index = [c.field for c in COLUMNS].index("idNumber")
    assert _column_number_format(template_xlsx("TITLE_SYSTEM"), index) == "@"


def test_date_columns_are_formatted_as_dates() -> None:
    index = [c.field for c in COLUMNS].index("obtainedOn")
    assert _column_number_format(template_xlsx("TITLE_SYSTEM"), index) == "yyyy-mm-dd"


def _sheet(data: bytes, name: str) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(BytesIO(data)).get_sheet_by_name(name).to_python()


def _column_number_format(data: bytes, index: int) -> str:
    """Number format code of the style the data sheet's column ``index`` (0-based) carries."""
    with zipfile.ZipFile(BytesIO(data)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
        styles = package.read("xl/styles.xml").decode()
    style = next(
        int(m["style"])
        for m in re.finditer(
            r'<col min="(?P<min>\d+)" max="(?P<max>\d+)"[^>]*style="(?P<style>\d+)"', sheet
        )
        if int(m["min"]) <= index + 1 <= int(m["max"])
    )
    cell_xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)
    assert cell_xfs is not None
    format_id = int(re.findall(r'<xf numFmtId="(\d+)"', cell_xfs.group(1))[style])
    custom = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    return {49: "@"}.get(format_id) or custom[str(format_id)]
