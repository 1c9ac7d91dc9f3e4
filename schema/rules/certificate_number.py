"""Certificate numbers (证书编号): paper numbers before 2021, system numbers from 2021.

Paper certificates (title obtained before 2021): the person copies the number printed at the
bottom left, which starts with ``0113`` (notice Q4). Its length and inner structure are not
published, so the check is lenient: after NFKC, removing spaces and hyphens and upper-casing,
``^0113[0-9A-Z]{4,26}$``.

Titles obtained in 2021 or later: the person leaves the number empty; the system numbers the
e-certificate when the registration is approved. The municipal scheme is not published; ours is

    YYYY 50 L NNNNNNN C       e.g. 2022 50 3 0000001 C  →  20225030000001C (15 characters)

``YYYY`` the year the title was obtained, ``50`` Chongqing's province code, ``L`` the level
digit (1 正高级, 2 副高级, 3 中级, 4 助理级, 5 员级; from levels.json), ``NNNNNNN`` a 7-digit
sequence within year and level starting at 1, and ``C`` the ISO 7064 MOD 11-2 check character
over the 14 digits before it (the ID number's algorithm; 'X' stands for 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema.rules.errors import RuleCode, RuleViolation, RuleWarning
from schema.rules.iso7064 import has_valid_mod11_2, mod11_2_check_char
from schema.rules.text import compact, is_blank
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR

if TYPE_CHECKING:
    from schema.reference.catalog import Catalog

_FIELD = "certificateNumber"
PAPER_PREFIX = "0113"
PROVINCE_CODE = "50"
MAX_SEQUENCE = 9_999_999
_PAPER = re.compile(r"^0113[0-9A-Z]{4,26}$")
_OTHER_PAPER = re.compile(r"^[0-9A-Z]{4,30}$")
_SYSTEM = re.compile(r"^(?P<year>\d{4})50(?P<level>[1-5])(?P<seq>\d{7})[\dX]$")
_SEPARATORS = re.compile(r"[-‐‑–—_]")


@dataclass(frozen=True, slots=True)
class PaperNumberCheck:
    """Outcome of ``check_certificate_number``: the value to store (``None`` from 2021)."""

    value: str | None
    warnings: tuple[RuleWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class SystemNumber:
    """A parsed system certificate number."""

    value: str
    year: int
    level_digit: int
    sequence: int


def normalize_certificate_number(raw: str) -> str:
    """NFKC, strip spaces and hyphens, upper-case: ``0113-2019 ab12`` → ``01132019AB12``."""
    return _SEPARATORS.sub("", compact(raw)).upper()


def check_certificate_number(
    raw: str | None, *, obtained_year: int, allow_other_format: bool = False
) -> PaperNumberCheck:
    """Apply notice Q4 to the number the person typed.

    Before 2021 the paper number is required (CERTIFICATE_NUMBER_REQUIRED) and must start with
    0113 (CERTIFICATE_NUMBER_PREFIX) and have the expected shape (CERTIFICATE_NUMBER_FORMAT).
    ``allow_other_format`` is the person's explicit "my certificate is numbered differently"
    (e.g. issued by another system): the prefix is then not required and a warning is returned.
    From 2021 the field must be empty (CERTIFICATE_NUMBER_NOT_ALLOWED).
    """
    if obtained_year >= TITLE_SYSTEM_FROM_YEAR:
        if not is_blank(raw):
            raise RuleViolation(
                RuleCode.CERTIFICATE_NUMBER_NOT_ALLOWED,
                "2021年以来取得的职称全部采用系统自动编号，无需填写证书编号；"
                "审核通过后将由系统自动生成电子证书编号",
                _FIELD,
            )
        return PaperNumberCheck(value=None)
    if raw is None or is_blank(raw):
        raise RuleViolation(
            RuleCode.CERTIFICATE_NUMBER_REQUIRED,
            "2021年以前取得的职称请填写原纸质证书编号（证书左下方0113开头的编号）",
            _FIELD,
        )
    value = normalize_certificate_number(raw)
    if not value.startswith(PAPER_PREFIX):
        if not allow_other_format:
            raise RuleViolation(
                RuleCode.CERTIFICATE_NUMBER_PREFIX,
                "证书编号应以0113开头（见纸质证书左下方）；如证书为其他编号格式，请勾选“证书为其他编号格式”",
                _FIELD,
            )
        if not _OTHER_PAPER.match(value):
            raise _format_error("证书编号应为4至30位数字或大写字母")
        return PaperNumberCheck(
            value=value,
            warnings=(
                RuleWarning(
                    RuleCode.CERTIFICATE_NUMBER_OTHER_FORMAT,
                    "证书编号不以0113开头，已按“其他编号格式”登记，审核时将核对纸质证书",
                    _FIELD,
                ),
            ),
        )
    if not _PAPER.match(value):
        raise _format_error("证书编号应以0113开头，其后为4至26位数字或大写字母")
    return PaperNumberCheck(value=value)


def format_system_number(year: int, level_code: str, seq: int, *, catalog: Catalog) -> str:
    """Build a system number ``{YYYY}50{level digit}{seq:07d}{check}`` (see module docstring).

    ``level_code`` is a level code such as ``ZHONG``; its digit comes from the catalog.
    Raises ``ValueError`` for an out-of-range year or sequence or an unknown level: these
    come from our own numbering, not from a person.
    """
    if not TITLE_SYSTEM_FROM_YEAR <= year <= 9999:
        raise ValueError(f"system numbers start in {TITLE_SYSTEM_FROM_YEAR}; got year {year}")
    if not 1 <= seq <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 1..{MAX_SEQUENCE}; got {seq}")
    body = f"{year:04d}{PROVINCE_CODE}{catalog.level(level_code).digit}{seq:07d}"
    return body + mod11_2_check_char(body)


def validate_system_number(raw: str) -> SystemNumber:
    """Parse a system number; raises CERTIFICATE_NUMBER_FORMAT or CERTIFICATE_NUMBER_CHECKSUM."""
    value = normalize_certificate_number(raw)
    match = _SYSTEM.match(value)
    if match is None or int(match["year"]) < TITLE_SYSTEM_FROM_YEAR or int(match["seq"]) == 0:
        raise _format_error(
            "电子证书编号应为15位：4位年份（2021年起）+50+1位级别代码+7位序号+1位校验码"
        )
    if not has_valid_mod11_2(value):
        raise RuleViolation(
            RuleCode.CERTIFICATE_NUMBER_CHECKSUM,
            "电子证书编号校验码（最后一位）不正确，请核对编号",
            _FIELD,
        )
    return SystemNumber(
        value=value,
        year=int(match["year"]),
        level_digit=int(match["level"]),
        sequence=int(match["seq"]),
    )


def _format_error(message: str) -> RuleViolation:
    return RuleViolation(RuleCode.CERTIFICATE_NUMBER_FORMAT, message, _FIELD)
