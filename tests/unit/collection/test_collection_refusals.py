"""Files refused as a whole: format, encoding, emptiness, headers, size."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from collection_test_support import VALID_ID, write_csv, write_xlsx

from schema.collection import FileLimits, FileRefused, open_collection_file


def _code(path: Path, limits: FileLimits | None = None) -> str:
    with pytest.raises(FileRefused) as refused:
        if limits is None:
            open_collection_file(path)
        else:
            open_collection_file(path, limits=limits)
    return refused.value.code


def test_legacy_xls_is_refused_as_format(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert _code(path) == "FILE_FORMAT"


def test_legacy_xls_refusal_says_to_save_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(FileRefused, match=r"另存为\.xlsx或CSV"):
        open_collection_file(path)


def test_html_disguised_as_xls_is_refused_as_format(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.xls", "<html><table><tr><td>姓名</td></tr></table></html>")
    assert _code(path) == "FILE_FORMAT"


def test_pdf_is_refused_as_format(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"%PDF-1.7\n" + bytes(100))
    assert _code(path) == "FILE_FORMAT"


def test_zip_that_is_not_a_workbook_is_refused_as_format(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8\xff")
    assert _code(path) == "FILE_FORMAT"


def test_bytes_invalid_in_utf8_and_gb18030_are_refused_as_encoding(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("姓名,公民身份号码\n".encode() + b"\xff\xfe\x80\n")
    assert _code(path) == "FILE_ENCODING"


def test_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    assert _code(write_csv(tmp_path / "a.csv", "")) == "FILE_EMPTY"


def test_file_of_blank_lines_is_refused_as_empty(tmp_path: Path) -> None:
    assert _code(write_csv(tmp_path / "a.csv", "\r\n,,\r\n\r\n")) == "FILE_EMPTY"


def test_empty_workbook_is_refused_as_empty(tmp_path: Path) -> None:
    assert _code(write_xlsx(tmp_path / "a.xlsx", [])) == "FILE_EMPTY"


def test_missing_id_number_column_is_refused(tmp_path: Path) -> None:
    assert _code(write_csv(tmp_path / "a.csv", "姓名,职称级别\r\n张三,中级\r\n")) == (
        "HEADER_REQUIRED_MISSING"
    )


def test_missing_required_columns_are_named_in_chinese(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "职称级别,职称系列\r\n中级,工程技术人员\r\n")
    with pytest.raises(FileRefused, match="缺少必需的列：姓名、公民身份号码"):
        open_collection_file(path)


def test_two_columns_for_one_field_are_refused(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", f"姓名,身份证号码,公民身份号码\r\n张三,{VALID_ID},{VALID_ID}\r\n"
    )
    assert _code(path) == "HEADER_DUPLICATE"


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", f"姓名,公民身份号码\r\n张三,{VALID_ID}\r\n")
    assert _code(path, FileLimits(max_file_bytes=10)) == "FILE_TOO_LARGE"


def test_workbook_over_the_uncompressed_limit_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", [["姓名", "公民身份号码"], ["张三", VALID_ID]])
    assert _code(path, FileLimits(max_xlsx_xml_bytes=100)) == "FILE_TOO_LARGE"


def test_refusal_message_is_one_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "职称级别\r\n中级\r\n")
    with pytest.raises(FileRefused) as refused:
        open_collection_file(path)
    assert "\n" not in refused.value.message
