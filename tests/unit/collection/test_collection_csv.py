"""Reading CSV files: encodings, delimiters, numbering, repairs of numeric exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from collection_test_support import VALID_ID, VALID_ID_ENDING_000, read_rows, write_csv

from schema.collection import open_collection_file
from schema.rules.iso7064 import has_valid_mod11_2

TEXT = f"姓名,公民身份号码,取得时间\r\n张三,{VALID_ID},2021-12-24\r\n"


def test_utf8_without_bom_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT)
    assert read_rows(path)[1][0].values["name"] == "张三"


def test_utf8_with_bom_keeps_the_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT, "utf-8-sig")
    assert open_collection_file(path).headers["name"] == "姓名"


def test_gb18030_as_excel_exports_it_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT, "gb18030")
    assert read_rows(path)[1][0].values["name"] == "张三"


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT.replace(",", "\t"), "utf-16")
    assert read_rows(path)[1][0].values["name"] == "张三"


def test_gbk_bytes_far_into_an_ascii_file_select_gb18030(tmp_path: Path) -> None:
    filler = "".join(f"n{i},{VALID_ID},2021-12-24\r\n" for i in range(100_000))  # > 1 MiB
    path = write_csv(
        tmp_path / "a.csv", f"name,idNumber,obtainedOn\r\n{filler}张三,{VALID_ID},\r\n", "gb18030"
    )
    assert read_rows(path)[1][-1].values["name"] == "张三"


def test_format_is_csv(tmp_path: Path) -> None:
    assert open_collection_file(write_csv(tmp_path / "a.xlsx", TEXT)).format == "csv"


def test_tab_separated_file_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.txt", TEXT.replace(",", "\t"))
    assert read_rows(path)[1][0].values["idNumber"] == VALID_ID


def test_semicolon_separated_file_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT.replace(",", ";"))
    assert read_rows(path)[1][0].values["obtainedOn"] == date(2021, 12, 24)


def test_comma_inside_a_quoted_header_does_not_change_the_delimiter(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        f'姓名\t公民身份号码\t"取得时间(年,月,日)"\n张三\t{VALID_ID}\t2021-12-24\n',
    )
    assert open_collection_file(path).headers["obtainedOn"] == "取得时间(年,月,日)"


def test_blank_line_counts_as_a_spreadsheet_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT + f"\r\n李四,{VALID_ID},\r\n")
    assert [row.number for row in read_rows(path)[1]] == [2, 4]


def test_quoted_multiline_cell_counts_as_one_record(tmp_path: Path) -> None:
    text = f'姓名,公民身份号码,备注\r\n张三,{VALID_ID},"第一行\r\n第二行"\r\n李四,{VALID_ID},\r\n'
    assert [row.number for row in read_rows(write_csv(tmp_path / "a.csv", text))[1]] == [2, 3]


def test_scientific_id_number_is_expanded(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "姓名,公民身份号码\r\n张三,5.00112E+17\r\n")
    assert read_rows(path)[1][0].values["idNumber"] == "500112000000000000"


def test_scientific_id_number_is_noted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "姓名,公民身份号码\r\n张三,5.00112E+17\r\n")
    assert [n.code for n in read_rows(path)[1][0].notes] == ["ID_NUMBER_STORED_AS_NUMBER"]


def test_id_number_truncated_to_000_is_noted(tmp_path: Path) -> None:
    assert not has_valid_mod11_2("500112198001011000")
    path = write_csv(tmp_path / "a.csv", "姓名,公民身份号码\r\n张三,500112198001011000\r\n")
    assert [n.code for n in read_rows(path)[1][0].notes] == ["ID_NUMBER_STORED_AS_NUMBER"]


def test_valid_id_number_ending_in_000_is_not_noted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", f"姓名,公民身份号码\r\n张三,{VALID_ID_ENDING_000}\r\n")
    assert read_rows(path)[1][0].notes == ()


def test_certificate_number_that_lost_its_zero_is_restored(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", f"姓名,公民身份号码,证书编号\r\n张三,{VALID_ID},113201600012\r\n"
    )
    assert read_rows(path)[1][0].values["certificateNumber"] == "0113201600012"


def test_total_row_in_a_serial_column_is_ignored(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", f"序号,姓名,公民身份号码\r\n1,张三,{VALID_ID}\r\n总计,1人,\r\n"
    )
    assert [n.code for n in read_rows(path)[0].notes] == ["TOTAL_ROW_IGNORED"]


def test_trailing_blank_lines_are_not_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", TEXT + ",,\r\n\r\n")
    assert read_rows(path)[0].notes == []


def test_blank_row_list_is_bounded(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", "姓名,公民身份号码\r\n" + "\r\n" * 30 + f"张三,{VALID_ID}\r\n"
    )
    message = read_rows(path)[0].notes[0].message
    assert message.endswith(
        "第2、3、4、5、6、7、8、9、10、11、12、13、14、15、16、17、18、19、20、21行等30行为空行（没有填写任何数据项），已跳过"
    )


def test_rows_resume_after_the_given_row(tmp_path: Path) -> None:
    text = "姓名,公民身份号码\r\n" + "".join(f"人{i},{VALID_ID}\r\n" for i in range(5))
    opened = open_collection_file(write_csv(tmp_path / "a.csv", text))
    assert [row.values["name"] for row in opened.rows(start_after=4)] == ["人3", "人4"]


def test_count_rows_excludes_header_blank_and_total_rows(tmp_path: Path) -> None:
    text = TEXT + "\r\n" + f"李四,{VALID_ID},\r\n合计,2,\r\n"
    assert open_collection_file(write_csv(tmp_path / "a.csv", text)).count_rows() == 2
