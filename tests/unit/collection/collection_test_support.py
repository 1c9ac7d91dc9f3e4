"""Builders of real collection files (XLSX, CSV, ZIP) for the collection tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import xlsxwriter

from schema.collection import CollectionFile, SourceRow, open_collection_file

__all__ = [
    "VALID_ID",
    "VALID_ID_ENDING_000",
    "read_rows",
    "write_csv",
    "write_xlsx",
    "zip_bytes",
]

VALID_ID = "500112198001011234"
VALID_ID_ENDING_000 = "500112198001016000"


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    sheet: str = "数据",
    hidden_sheet_first: bool = False,
) -> Path:
    """Write cells with their own types: numbers stay numbers, dates are date cells."""
    workbook = xlsxwriter.Workbook(str(path))
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    if hidden_sheet_first:
        hidden = workbook.add_worksheet("隐藏")
        hidden.write_row(0, 0, ["姓名", "公民身份号码"])
        hidden.write_row(1, 0, ["隐藏表里的人", VALID_ID])
        hidden.hide()
    worksheet = workbook.add_worksheet(sheet)
    worksheet.activate()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                worksheet.write_datetime(r, c, value, day)
            elif isinstance(value, int | float):
                worksheet.write_number(r, c, value)
            else:
                worksheet.write_string(r, c, str(value))
    workbook.close()
    return path


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_rows(path: Path) -> tuple[CollectionFile, list[SourceRow]]:
    opened = open_collection_file(path)
    return opened, list(opened.rows())


def zip_bytes(
    entries: Sequence[tuple[bytes | str, bytes]],
    *,
    compression: int = zipfile.ZIP_STORED,
) -> bytes:
    """A ZIP whose entry names are stored as given: ``bytes`` names are written raw, without
    the UTF-8 flag (as Windows zip tools write GBK names); ``str`` names the normal way."""
    buffer = io.BytesIO()
    swaps: list[tuple[bytes, bytes]] = []
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for index, (name, data) in enumerate(entries):
            if isinstance(name, bytes):
                placeholder = f"~{index}~".ljust(len(name), "q").encode("ascii")
                assert len(placeholder) == len(name)
                swaps.append((placeholder, name))
                archive.writestr(placeholder.decode("ascii"), data)
            else:
                archive.writestr(name, data)
    raw = buffer.getvalue()
    for placeholder, name in swaps:
        assert raw.count(placeholder) == 2  # local header and central directory
        raw = raw.replace(placeholder, name)
    with zipfile.ZipFile(io.BytesIO(raw)) as check:  # raw names really lack the UTF-8 flag
        flags = [info.flag_bits & 0x800 for info in check.infolist()]
    assert all(
        not flag for flag, (name, _) in zip(flags, entries, strict=True) if isinstance(name, bytes)
    )
    return raw
