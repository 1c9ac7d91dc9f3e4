"""Records sent as JSON (the title system's API) → a collection file, so they go through
the same pipeline as uploaded spreadsheets: a CSV with the canonical headers."""

from __future__ import annotations

import csv
import io
from typing import Any

from schema.collection.columns import COLUMNS
from schema.errors import InvalidInput, Problem

__all__ = ["MAX_RECORDS", "RECORD_FIELDS", "records_csv"]

MAX_RECORDS = 5000
#: API field → canonical Chinese header, for the JSON rows (no photos: no archive).
RECORD_FIELDS = {c.field: c.header for c in COLUMNS if c.field != "photo"}


def _cell(value: Any, index: int, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput.one(
        "IMPORT_RECORD_INVALID",
        f"第{index + 1}条：{field}应为文本",
        f"records[{index}].{field}",
    )


def records_csv(records: list[Any]) -> bytes:
    """The JSON rows as a UTF-8 CSV with the canonical headers (every column, in order)."""
    if not records:
        raise InvalidInput.one("IMPORT_EMPTY", "导入数据为空", "records")
    if len(records) > MAX_RECORDS:
        raise InvalidInput.one(
            "IMPORT_TOO_LARGE", f"每批最多导入{MAX_RECORDS}条，更多请上传文件", "records"
        )
    problems: list[Problem] = []
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RECORD_FIELDS.values())
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(
                Problem("IMPORT_RECORD_INVALID", f"第{index + 1}条不是对象", f"records[{index}]")
            )
            continue
        unknown = sorted(set(record) - set(RECORD_FIELDS))
        if unknown:
            problems.append(
                Problem(
                    "IMPORT_FIELD_UNKNOWN",
                    f"第{index + 1}条：不能导入的字段：{'、'.join(unknown)}",
                    f"records[{index}].{unknown[0]}",
                )
            )
            continue
        writer.writerow(_cell(record.get(field), index, field) for field in RECORD_FIELDS)
    if problems:
        raise InvalidInput(problems)
    return buffer.getvalue().encode("utf-8")
