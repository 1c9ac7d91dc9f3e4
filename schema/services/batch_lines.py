"""The lines of an employer's batch check, read and checked at entry.

One line per certificate, as pasted or uploaded (UTF-8 text, a CSV saved from a spreadsheet):

* ``证书编号,姓名`` — a certificate number and the holder's full name, separated by a comma
  (ASCII or full-width) or a tab; or
* the text of a certificate's QR code: its verification URL (``https://…/V/…``).

Blank lines are skipped (the line numbers stay those of the text) and so is a header line
``证书编号,姓名``. Everything is checked before anything is queued; each kind of problem is
one typed error naming the offending line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from schema.errors import InvalidInput, Problem
from schema.rules import is_storable, normalize_certificate_number
from schema.services.lookup import normalize_holder_name

__all__ = ["MAX_LINES", "MAX_LINE_CHARS", "NUMBER_KIND", "QR_KIND", "parse_batch_text"]

MAX_LINES = 5000
MAX_LINE_CHARS = 1000
NUMBER_KIND = "number"
QR_KIND = "qr"
_NUMBER_MAX = 32  # the certificate number column
_NAME_MAX = 50  # the holder name column
_SHOWN = 10  # line numbers named in one message
_SEPARATOR = re.compile(r"[,，\t]")
_HEADER_NUMBERS = frozenset({"证书编号", "证书号", "编号"})
_FIELD = "text"
_KINDS = ("too_long", "unstorable", "format", "field_too_long")


def _lines_named(numbers: Iterable[int]) -> str:
    shown = list(numbers)
    text = "、".join(str(n) for n in shown[:_SHOWN])
    if len(shown) > _SHOWN:
        text += f"等{len(shown)}行"
    else:
        text += "行"
    return "第" + text


def _is_qr(text: str) -> bool:
    lowered = text[:16].lower()
    return lowered.startswith(("http://", "https://")) or "/v/" in text.lower()


def _parse_line(n: int, text: str, problems: dict[str, list[int]]) -> dict[str, Any] | None:
    if len(text) > MAX_LINE_CHARS:
        problems["too_long"].append(n)
        return None
    if not is_storable(text):
        problems["unstorable"].append(n)
        return None
    if _is_qr(text):
        return {"n": n, "kind": QR_KIND, "qr": text}
    parts = _SEPARATOR.split(text, maxsplit=1)
    if len(parts) != 2:
        problems["format"].append(n)
        return None
    number = normalize_certificate_number(parts[0])
    name = normalize_holder_name(parts[1].strip(" ,，\t\"'"))
    if number in _HEADER_NUMBERS:
        return None
    if not number or not name:
        problems["format"].append(n)
        return None
    if len(number) > _NUMBER_MAX or len(name) > _NAME_MAX:
        problems["field_too_long"].append(n)
        return None
    return {"n": n, "kind": NUMBER_KIND, "number": number, "name": name}


def _problems(found: dict[str, list[int]]) -> list[Problem]:
    """One problem per kind, naming its lines (the codes written out for the catalogue)."""
    problems = []
    if lines := found["too_long"]:
        problems.append(
            Problem(
                "VERIFICATION_LINE_TOO_LONG",
                f"{_lines_named(lines)}超过{MAX_LINE_CHARS}个字符",
                _FIELD,
            )
        )
    if lines := found["unstorable"]:
        problems.append(
            Problem(
                "VERIFICATION_LINE_UNSTORABLE",
                f"{_lines_named(lines)}含有无法识别的字符（如空字符），请删除后重试",
                _FIELD,
            )
        )
    if lines := found["format"]:
        problems.append(
            Problem(
                "VERIFICATION_LINE_FORMAT",
                f"{_lines_named(lines)}格式不正确：每行应为“证书编号,持证人姓名”或证书二维码内容",
                _FIELD,
            )
        )
    if lines := found["field_too_long"]:
        problems.append(
            Problem(
                "VERIFICATION_LINE_FIELD_TOO_LONG",
                f"{_lines_named(lines)}过长：证书编号不超过{_NUMBER_MAX}个字符，"
                f"姓名不超过{_NAME_MAX}个字",
                _FIELD,
            )
        )
    return problems


def parse_batch_text(text: str) -> list[dict[str, Any]]:
    """The batch's lines (``{"n", "kind": "number", "number", "name"}`` or
    ``{"n", "kind": "qr", "qr"}``), or InvalidInput naming the offending lines."""
    raw_lines = text.splitlines()
    if len(raw_lines) > MAX_LINES * 2:  # blank lines count too, within reason
        raise _too_many()
    problems: dict[str, list[int]] = {k: [] for k in _KINDS}
    lines = []
    for n, raw in enumerate(raw_lines, start=1):
        stripped = raw.strip().lstrip("\ufeff")
        if not stripped:
            continue
        line = _parse_line(n, stripped, problems)
        if line is not None:
            lines.append(line)
    found = _problems(problems)
    if found:
        raise InvalidInput(found)
    if not lines:
        raise InvalidInput.one(
            "VERIFICATION_BATCH_EMPTY",
            "请至少填写一行：证书编号和持证人姓名，或证书二维码内容",
            _FIELD,
        )
    if len(lines) > MAX_LINES:
        raise _too_many()
    return lines


def _too_many() -> InvalidInput:
    return InvalidInput.one(
        "VERIFICATION_BATCH_TOO_LARGE",
        f"一次批量核验最多{MAX_LINES}行，请分批提交",
        _FIELD,
    )
