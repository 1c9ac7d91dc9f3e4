"""Streaming readers for bulk data collection files (CSV and XLSX).

:func:`open_collection_file` sniffs the format from the bytes, finds the header row, maps
headers to fields (:mod:`schema.collection.columns`) and refuses unusable files with
:class:`FileRefused` (stable ``code``, one-line Chinese ``message``). The returned
:class:`CollectionFile` yields one :class:`SourceRow` per data row; values are stripped text,
``date`` for date columns, or None. What the reader repaired or noticed is attached to the
row (:class:`CellNote`) or to the file (:class:`FileNote`); the domain rules judge the values.

CSV is decoded as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (Excel on Chinese
Windows) and read record by record, so memory stays flat whatever the file size. XLSX is read
with python-calamine (the sheet is parsed once, rows are converted one at a time).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, Self, TypeGuard

from schema.collection.columns import (
    COLUMNS_BY_FIELD,
    FILE_REQUIRED_FIELDS,
    SILENTLY_IGNORED_HEADERS,
    Column,
    match_header,
    normalize_header,
)
from schema.rules.iso7064 import has_valid_mod11_2

if TYPE_CHECKING:
    from python_calamine import CalamineSheet, CalamineWorkbook

# python_calamine (a 1.5 MiB Rust extension) is imported where a workbook is opened: the web
# app imports this module with the GraphQL schema, and only an XLSX upload reads one.

__all__ = [
    "CellNote",
    "CollectionFile",
    "FileCode",
    "FileLimits",
    "FileNote",
    "FileRefused",
    "SourceRow",
    "Value",
    "open_collection_file",
]

Value = str | date | None
"""A cell as handed to the rules: stripped text, a date (date columns), or None (empty)."""


class FileCode(StrEnum):
    """Stable codes of file refusals, file notes and cell notes."""

    FILE_FORMAT = "FILE_FORMAT"
    FILE_ENCODING = "FILE_ENCODING"
    FILE_EMPTY = "FILE_EMPTY"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    HEADER_REQUIRED_MISSING = "HEADER_REQUIRED_MISSING"
    HEADER_DUPLICATE = "HEADER_DUPLICATE"
    # File notes
    BLANK_ROWS_SKIPPED = "BLANK_ROWS_SKIPPED"
    TOTAL_ROW_IGNORED = "TOTAL_ROW_IGNORED"
    HEADERS_IGNORED = "HEADERS_IGNORED"
    ROWS_ABOVE_HEADER_IGNORED = "ROWS_ABOVE_HEADER_IGNORED"
    # Cell notes
    ID_NUMBER_STORED_AS_NUMBER = "ID_NUMBER_STORED_AS_NUMBER"
    CERTIFICATE_NUMBER_LEADING_ZERO_RESTORED = "CERTIFICATE_NUMBER_LEADING_ZERO_RESTORED"
    CERTIFICATE_NUMBER_STORED_AS_NUMBER = "CERTIFICATE_NUMBER_STORED_AS_NUMBER"


class FileRefused(Exception):
    """The whole file is unusable; nothing in it is imported."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CellNote:
    """Something the reader did to or noticed about one cell."""

    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row. ``values`` has a key for every field whose column the file has."""

    number: int
    """Row number as a spreadsheet shows it (header = 1, first data row = 2)."""
    values: dict[str, Value]
    notes: tuple[CellNote, ...] = ()


@dataclass(frozen=True, slots=True)
class FileNote:
    """Something about the file as a whole (blank rows, a total row, ignored columns)."""

    row: int | None
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FileLimits:
    """Size guards checked when a file is opened."""

    max_file_bytes: int = 1 << 30
    """Any format, size on disk."""
    max_xlsx_xml_bytes: int = 512 << 20
    """XLSX: declared uncompressed size of the worksheets plus the shared strings."""


DEFAULT_LIMITS = FileLimits()

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_OTHER_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
_SNIFF_BYTES = 64 * 1024
_CHUNK = 1 << 20
_HEADER_SEARCH_ROWS = 10
_MAX_LISTED_BLANK_ROWS = 20
_TOTAL_PREFIXES = ("合计", "总计", "小计")
# Everything str.isspace() accepts (incl. U+3000 ideographic space, U+00A0) plus zero-width marks.
_STRIP = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
    + "\u200b\u200c\u200d\u2060\ufeff"
)

_ID_NUMBER_MESSAGE = "身份证号码被Excel存为数字，末几位可能已丢失，请将该列设置为文本格式后重新导出"
_CERT_ZERO_MESSAGE = "证书编号被存为数字，已补回开头的0"
_CERT_NUMBER_MESSAGE = "证书编号被Excel存为数字，末几位可能已丢失，请将该列设置为文本格式后重新导出"


# ---------------------------------------------------------------------------------------
# Cell values


def _clean(text: str) -> str:
    return text.strip(_STRIP)


def _is_empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not _clean(raw))


def _number_text(value: float) -> str:
    """A numeric cell as Excel shows it: no ``.0``, at most 15 significant digits.

    From 10**15 on a float cannot hold every integer; its binary value has digits Excel never
    had (500112198001011234 → 500112198001011328), so those are shown as Excel does
    (500112198001011000).
    """
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= 10**15:
            return str(int(Decimal(f"{value:.15g}")))
        return str(int(value))
    return str(value)


def _is_number(raw: object) -> TypeGuard[int | float]:
    return isinstance(raw, int | float) and not isinstance(raw, bool)


def _plain_text(raw: object) -> str:
    """Text of a non-empty cell of any type, for columns that want text."""
    if isinstance(raw, str):
        return _clean(raw)
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if _is_number(raw):
        return _number_text(raw)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time() else raw.isoformat(sep=" ")
    if isinstance(raw, date | time):
        return raw.isoformat()
    return str(raw)


_SERIAL_EPOCH = date(1899, 12, 30)
_DATE_SEPARATED = re.compile(
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DATE_CHINESE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date_from_serial(value: float) -> date | None:
    """Excel 1900 date system, including its fictitious 1900-02-29 (serial 60)."""
    if not 1 <= value < 100_000:
        return None
    serial = int(value)
    if serial == 60:
        return None
    if serial < 60:
        return _SERIAL_EPOCH + timedelta(days=serial + 1)
    return _SERIAL_EPOCH + timedelta(days=serial)


def _date_from_text(text: str) -> date | None:
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for pattern in (_DATE_SEPARATED, _DATE_CHINESE, _DATE_COMPACT):
        match = pattern.match(compact)
        if match:
            groups = [g for g in match.groups() if g and g.isdigit()]
            try:
                return date(int(groups[0]), int(groups[1]), int(groups[2]))
            except ValueError:
                return None
    return None


def _date_value(raw: object) -> Value:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if _is_number(raw):
        value = float(raw)
        if value.is_integer() and 19000101 <= value <= 29991231:
            parsed = _date_from_text(str(int(value)))
            if parsed is not None:
                return parsed
        return _date_from_serial(value) or _number_text(raw)
    text = _plain_text(raw)
    return _date_from_text(text) or text


_SCIENTIFIC = re.compile(r"^\+?\d(?:\.\d+)?[eE]\+?\d{1,2}$")


def _scientific_to_digits(text: str) -> str | None:
    """``5.00112E+17`` → ``500112000000000000`` (what Excel wrote for a numeric cell)."""
    if not _SCIENTIFIC.match(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None
    if number != number.to_integral_value():
        return None
    return str(int(number))


def _id_number_value(raw: object) -> tuple[str, tuple[CellNote, ...]]:
    note = (CellNote("idNumber", FileCode.ID_NUMBER_STORED_AS_NUMBER, _ID_NUMBER_MESSAGE),)
    if _is_number(raw):
        # A float holds 15 significant digits: from 10**15 on, the last digits are gone.
        lost = isinstance(raw, float) and abs(raw) >= 10**15
        return _number_text(raw), note if lost else ()
    text = _plain_text(raw)
    digits = _scientific_to_digits(text)
    if digits is not None:
        return digits, note
    truncated = (
        text.isascii()
        and text.isdigit()
        and len(text) >= 16
        and text.endswith("000")
        and not (len(text) == 18 and has_valid_mod11_2(text))
    )
    return text, note if truncated else ()


def _certificate_number_value(raw: object) -> tuple[str, tuple[CellNote, ...]]:
    notes: list[CellNote] = []
    lost = CellNote(
        "certificateNumber", FileCode.CERTIFICATE_NUMBER_STORED_AS_NUMBER, _CERT_NUMBER_MESSAGE
    )
    if _is_number(raw):
        text = _number_text(raw)
        if isinstance(raw, float) and abs(raw) >= 10**15:
            notes.append(lost)
    else:
        text = _plain_text(raw)
        digits = _scientific_to_digits(text)
        if digits is not None:
            text = digits
            notes.append(lost)
    if text.isascii() and text.isdigit() and text.startswith("113") and len(text) >= 7:
        text = "0" + text
        notes.append(
            CellNote(
                "certificateNumber",
                FileCode.CERTIFICATE_NUMBER_LEADING_ZERO_RESTORED,
                _CERT_ZERO_MESSAGE,
            )
        )
    return text, tuple(notes)


def _convert(column: Column, raw: object) -> tuple[Value, tuple[CellNote, ...]]:
    if _is_empty(raw):
        return None, ()
    if column.is_date:
        return _date_value(raw), ()
    if column.field == "idNumber":
        return _id_number_value(raw)
    if column.field == "certificateNumber":
        return _certificate_number_value(raw)
    return _plain_text(raw), ()


# ---------------------------------------------------------------------------------------
# Row sources: (row number, raw cells) for every row of the file, header included


class _RowSource(Protocol):
    def __iter__(self) -> Iterator[tuple[int, Sequence[object]]]: ...

    def close(self) -> None: ...


class _CsvSource:
    def __init__(self, path: Path, encoding: str, delimiter: str) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter

    def __iter__(self) -> Iterator[tuple[int, Sequence[object]]]:
        number = 0
        try:
            with (
                self.path.open("rb") as raw,
                io.TextIOWrapper(raw, encoding=self.encoding, newline="") as text,
            ):
                for number, record in enumerate(
                    csv.reader(text, delimiter=self.delimiter), start=1
                ):
                    yield number, record
        except csv.Error as exc:
            raise FileRefused(
                FileCode.FILE_FORMAT,
                f"第{number + 1}行无法解析（内容过长或含有异常字符），请检查后重新导出CSV文件",
            ) from exc
        except UnicodeDecodeError as exc:
            raise FileRefused(FileCode.FILE_ENCODING, _ENCODING_MESSAGE) from exc

    def close(self) -> None:
        """Nothing is held open between iterations."""


class _XlsxSource:
    def __init__(self, workbook: CalamineWorkbook, sheet: CalamineSheet) -> None:
        self.workbook = workbook
        self.sheet = sheet
        start = sheet.start
        self._offset = start[0] if start else 0

    def __iter__(self) -> Iterator[tuple[int, Sequence[object]]]:
        for index, cells in enumerate(self.sheet.iter_rows()):
            yield self._offset + index + 1, cells

    def close(self) -> None:
        from python_calamine import CalamineError

        try:
            self.workbook.close()
        except CalamineError:  # already closed
            pass


# ---------------------------------------------------------------------------------------
# The file


class _Kind(StrEnum):
    DATA = "DATA"
    BLANK = "BLANK"
    TOTAL = "TOTAL"


def _blank_rows_note(numbers: list[int], count: int) -> FileNote:
    listed = "、".join(str(n) for n in numbers)
    more = f"等{count}行" if count > len(numbers) else ""
    return FileNote(
        numbers[0],
        FileCode.BLANK_ROWS_SKIPPED,
        f"第{listed}行{more}为空行（没有填写任何数据项），已跳过",
    )


class CollectionFile:
    """An opened collection file. Iterate :meth:`rows`; read :attr:`notes` afterwards."""

    def __init__(
        self,
        *,
        format: Literal["csv", "xlsx"],
        source: _RowSource,
        header_row: int,
        columns: tuple[tuple[int, Column], ...],
        headers: dict[str, str],
        ignored_headers: list[str],
        open_notes: list[FileNote],
        filename: str | None,
        sheet_name: str | None,
    ) -> None:
        self.format: Literal["csv", "xlsx"] = format
        self.headers = headers
        """field -> header text exactly as in the file."""
        self.ignored_headers = ignored_headers
        self.header_row = header_row
        self.filename = filename
        self.sheet_name = sheet_name
        self.notes: list[FileNote] = list(open_notes)
        self._open_notes = tuple(open_notes)
        self._source = source
        self._columns = columns

    def rows(self, *, start_after: int = 0) -> Iterator[SourceRow]:
        """Data rows in file order; rows numbered ``<= start_after`` are skipped unread."""
        self.notes = list(self._open_notes)
        return self._iterate(start_after)

    def count_rows(self) -> int:
        """Number of data rows (no header, blank or total rows); reads the file once more."""
        return sum(1 for _, cells in self._data_rows() if self._classify(cells) is _Kind.DATA)

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _data_rows(self) -> Iterator[tuple[int, Sequence[object]]]:
        for number, cells in self._source:
            if number > self.header_row:
                yield number, cells

    def _classify(self, cells: Sequence[object]) -> _Kind:
        first = next((cell for cell in cells if not _is_empty(cell)), None)
        if first is None:
            return _Kind.BLANK
        if isinstance(first, str) and _clean(first).startswith(_TOTAL_PREFIXES):
            return _Kind.TOTAL
        if all(index >= len(cells) or _is_empty(cells[index]) for index, _ in self._columns):
            return _Kind.BLANK  # only 序号/备注/unknown columns are filled
        return _Kind.DATA

    def _iterate(self, start_after: int) -> Iterator[SourceRow]:
        # Blank rows count only once data follows them: trailing empty rows are noise.
        pending: list[int] = []
        pending_count = 0
        listed: list[int] = []
        blank_count = 0
        try:
            for number, cells in self._data_rows():
                if number <= start_after:
                    continue
                kind = self._classify(cells)
                if kind is _Kind.BLANK:
                    if len(pending) < _MAX_LISTED_BLANK_ROWS:
                        pending.append(number)
                    pending_count += 1
                    continue
                if pending_count:
                    listed.extend(pending[: _MAX_LISTED_BLANK_ROWS - len(listed)])
                    blank_count += pending_count
                    pending.clear()
                    pending_count = 0
                if kind is _Kind.TOTAL:
                    self.notes.append(
                        FileNote(
                            number, FileCode.TOTAL_ROW_IGNORED, f"第{number}行为合计行，已忽略"
                        )
                    )
                    continue
                yield self._build(number, cells)
        finally:
            if listed:
                self.notes.append(_blank_rows_note(listed, blank_count))

    def _build(self, number: int, cells: Sequence[object]) -> SourceRow:
        values: dict[str, Value] = {}
        notes: list[CellNote] = []
        for index, column in self._columns:
            value, cell_notes = _convert(column, cells[index] if index < len(cells) else None)
            values[column.field] = value
            notes.extend(cell_notes)
        return SourceRow(number, values, tuple(notes))


# ---------------------------------------------------------------------------------------
# Opening: format, encoding, delimiter, header row

_XLS_MESSAGE = (
    "不支持.xls格式（或设置了打开密码的Excel文件），请将文件另存为.xlsx或CSV（不设密码）后上传"
)
_UNKNOWN_FORMAT_MESSAGE = "无法识别的文件格式，请上传.xlsx或CSV文件"
_HTML_MESSAGE = (
    "该文件实际是网页格式（常见于其他系统导出的.xls），请用Excel打开后另存为.xlsx或CSV再上传"
)
_ENCODING_MESSAGE = "无法识别文件的文字编码，请将CSV文件另存为“CSV UTF-8”或GBK编码，或上传.xlsx文件"
_XLSX_BROKEN_MESSAGE = "无法读取该Excel文件，文件可能已损坏，请重新导出.xlsx或CSV文件"
_DELIMITERS = (",", "\t", ";")


@dataclass(frozen=True, slots=True)
class _Header:
    row: int
    texts: list[str]
    first_row: int
    has_required: bool


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):g}"


def _header_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    return "" if _is_empty(raw) else _plain_text(raw)


def _known_fields(texts: Sequence[str]) -> set[str]:
    return {field for field in map(match_header, texts) if field is not None}


def _find_header(source: _RowSource) -> _Header | None:
    """The header: among the first non-blank rows, the first that names known columns."""
    first: _Header | None = None
    seen = 0
    for number, cells in source:
        if all(_is_empty(cell) for cell in cells):
            continue
        texts = [_header_text(cell) for cell in cells]
        fields = _known_fields(texts)
        has_required = any(field in FILE_REQUIRED_FIELDS for field in fields)
        first_row = first.first_row if first else number
        if has_required or len(fields) >= 2:
            return _Header(number, texts, first_row, has_required)
        if first is None:
            first = _Header(number, texts, number, False)
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    return first


def _map_headers(
    texts: Sequence[str],
) -> tuple[tuple[tuple[int, Column], ...], dict[str, str], list[str]]:
    columns: list[tuple[int, Column]] = []
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, text in enumerate(texts):
        if not _clean(text):
            continue
        field = match_header(text)
        if field is None:
            if normalize_header(text) not in SILENTLY_IGNORED_HEADERS:
                ignored.append(text)
            continue
        if field in headers:
            raise FileRefused(
                FileCode.HEADER_DUPLICATE,
                f"“{_clean(headers[field])}”和“{_clean(text)}”两列都表示"
                f"{COLUMNS_BY_FIELD[field].header}，请删除其中一列后重新上传",
            )
        headers[field] = text
        columns.append((index, COLUMNS_BY_FIELD[field]))
    return tuple(columns), headers, ignored


def _refuse_binary(head: bytes) -> None:
    if head.startswith(_OTHER_BINARY_MAGIC):
        raise FileRefused(FileCode.FILE_FORMAT, _UNKNOWN_FORMAT_MESSAGE)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        raise FileRefused(FileCode.FILE_FORMAT, _UNKNOWN_FORMAT_MESSAGE)
    if head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
        raise FileRefused(FileCode.FILE_FORMAT, _HTML_MESSAGE)


def _decodes(path: Path, encoding: str) -> bool:
    """Strict decode of the whole file in chunks (memory flat)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        if _decodes(path, "utf-8-sig"):
            return "utf-8-sig"
        raise FileRefused(FileCode.FILE_ENCODING, _ENCODING_MESSAGE)
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    raise FileRefused(FileCode.FILE_ENCODING, _ENCODING_MESSAGE)


def _detect_delimiter(head: bytes, encoding: str) -> str:
    """The delimiter under which the first lines name the most known columns (comma on ties)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = text.splitlines()[:_HEADER_SEARCH_ROWS]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        try:
            records = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        score = max((len(_known_fields(record)) for record in records), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _check_xlsx_package(path: Path, limits: FileLimits) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
    except zipfile.BadZipFile as exc:
        raise FileRefused(FileCode.FILE_FORMAT, _XLSX_BROKEN_MESSAGE) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise FileRefused(FileCode.FILE_FORMAT, "该文件不是Excel(.xlsx)文件，请上传.xlsx或CSV文件")
    xml_bytes = sum(
        info.file_size
        for info in infos
        if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml"
    )
    if xml_bytes > limits.max_xlsx_xml_bytes:
        raise FileRefused(
            FileCode.FILE_TOO_LARGE,
            "Excel文件中的数据量过大，请拆分成多个文件，或另存为CSV后上传",
        )


def _open_xlsx(path: Path, limits: FileLimits) -> tuple[_XlsxSource, _Header | None]:
    """The first visible worksheet whose header names 姓名 or 公民身份号码 (else the first)."""
    from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

    _check_xlsx_package(path, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRefused(FileCode.FILE_FORMAT, _XLSX_BROKEN_MESSAGE) from exc
    try:
        fallback: tuple[_XlsxSource, _Header | None] | None = None
        for meta in workbook.sheets_metadata:
            if meta.visible != SheetVisibleEnum.Visible:
                continue
            try:
                source = _XlsxSource(workbook, workbook.get_sheet_by_name(meta.name))
            except (CalamineError, ValueError) as exc:
                raise FileRefused(FileCode.FILE_FORMAT, _XLSX_BROKEN_MESSAGE) from exc
            header = _find_header(source)
            if header is not None and header.has_required:
                return source, header
            if fallback is None:
                fallback = (source, header)
        if fallback is None:
            raise FileRefused(FileCode.FILE_EMPTY, "Excel文件中没有可见的工作表")
        return fallback
    except BaseException:
        workbook.close()
        raise


def open_collection_file(
    path: Path,
    *,
    filename: str | None = None,
    limits: FileLimits = DEFAULT_LIMITS,
) -> CollectionFile:
    """Open a CSV or XLSX collection file, or refuse it (:class:`FileRefused`).

    ``filename`` is the name the clerk uploaded (kept for reports); the format is decided
    from the bytes, never from the name.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileRefused(
            FileCode.FILE_TOO_LARGE,
            f"文件超过{_megabytes(limits.max_file_bytes)}MB，请拆分成多个文件后分批上传",
        )
    with path.open("rb") as stream:
        head = stream.read(_SNIFF_BYTES)
    if head.startswith(_OLE_MAGIC):
        raise FileRefused(FileCode.FILE_FORMAT, _XLS_MESSAGE)
    source: _RowSource
    sheet_name: str | None = None
    if head.startswith(_ZIP_MAGIC):
        file_format: Literal["csv", "xlsx"] = "xlsx"
        xlsx, header = _open_xlsx(path, limits)
        source, sheet_name = xlsx, xlsx.sheet.name
    else:
        file_format = "csv"
        _refuse_binary(head)
        encoding = _detect_encoding(path, head)
        source = _CsvSource(path, encoding, _detect_delimiter(head, encoding))
        header = _find_header(source)
    try:
        return _collection_file(file_format, source, header, filename, sheet_name)
    except BaseException:
        source.close()
        raise


def _collection_file(
    file_format: Literal["csv", "xlsx"],
    source: _RowSource,
    header: _Header | None,
    filename: str | None,
    sheet_name: str | None,
) -> CollectionFile:
    if header is None:
        raise FileRefused(FileCode.FILE_EMPTY, "文件中没有数据，第一行应为表头（列名）")
    columns, headers, ignored = _map_headers(header.texts)
    missing = [COLUMNS_BY_FIELD[f].header for f in FILE_REQUIRED_FIELDS if f not in headers]
    if missing:
        raise FileRefused(
            FileCode.HEADER_REQUIRED_MISSING,
            f"缺少必需的列：{'、'.join(missing)}。请使用下载的模板，并确认第一行为表头",
        )
    notes: list[FileNote] = []
    if header.row > header.first_row:
        notes.append(
            FileNote(
                header.first_row,
                FileCode.ROWS_ABOVE_HEADER_IGNORED,
                f"表头在第{header.row}行，其上方的标题等内容已忽略",
            )
        )
    if ignored:
        shown = "、".join(f"“{_clean(text)}”" for text in ignored[:_MAX_LISTED_BLANK_ROWS])
        more = f"等{len(ignored)}列" if len(ignored) > _MAX_LISTED_BLANK_ROWS else ""
        notes.append(
            FileNote(header.row, FileCode.HEADERS_IGNORED, f"以下列无法识别，已忽略：{shown}{more}")
        )
    return CollectionFile(
        format=file_format,
        source=source,
        header_row=header.row,
        columns=columns,
        headers=headers,
        ignored_headers=ignored,
        open_notes=notes,
        filename=filename,
        sheet_name=sheet_name,
    )
