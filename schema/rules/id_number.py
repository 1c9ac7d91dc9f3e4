"""Resident ID number (公民身份号码) per GB 11643-1999.

Layout of the 18 characters: 6-digit address code (GB/T 2260) + birth date YYYYMMDD + 3-digit
sequence (odd = male, even = female) + ISO 7064 MOD 11-2 check character ('0'–'9' or 'X').
Checks run in a fixed order so the person hears about the most basic mistake first:
format → birth date → check character → province code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.iso7064 import has_valid_mod11_2
from schema.rules.text import compact

_FIELD = "idNumber"
# ASCII digits only: ``\d`` would also take other scripts' digits (which ``int`` reads, so
# the check character would pass) and the number is stored and hashed as ASCII.
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# Province-level codes of GB/T 2260, plus 71 台湾, 81 香港, 82 澳门 and 83, which residence
# permits for Taiwan residents use. Other prefixes are accepted: people born outside Chongqing
# register too, so only implausible provinces are refused, never "not 50".
_PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
_EARLIEST_BIRTH_YEAR = 1900


class Sex(StrEnum):
    """Sex as encoded by the parity of the sequence number (positions 15–17)."""

    MALE = "MALE"
    FEMALE = "FEMALE"


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A checked 18-character ID number and what it encodes."""

    value: str
    birth_date: date
    sex: Sex

    @property
    def region_code(self) -> str:
        """The 6-digit address code (where the number was first issued)."""
        return self.value[:6]


def normalize_id_number(raw: str) -> str:
    """NFKC (full-width digits → ASCII), drop whitespace, upper-case a trailing 'x'."""
    return compact(raw).upper()


def is_well_formed_id_number(value: str) -> bool:
    """True if ``value`` (normalised) has the shape of an ID number: 17 ASCII digits and a
    digit or X. Says nothing about the date or the check character."""
    return _SHAPE.fullmatch(value) is not None


def parse_id_number(raw: str, *, today: date) -> IdNumber:
    """Check an ID number and return it normalised with its birth date and sex.

    Raises ``RuleViolation`` with ID_NUMBER_FORMAT, ID_NUMBER_BIRTH_DATE, ID_NUMBER_CHECKSUM or
    ID_NUMBER_REGION (field ``idNumber``).
    """
    value = normalize_id_number(raw)
    if not is_well_formed_id_number(value):
        raise RuleViolation(
            RuleCode.ID_NUMBER_FORMAT,
            "公民身份号码应为18位：前17位为数字，最后一位为数字或X",
            _FIELD,
        )
    birth_date = _birth_date(value, today=today)
    if not has_valid_mod11_2(value):
        # The expected character is not disclosed: it would let anyone "repair" a made-up number.
        raise RuleViolation(
            RuleCode.ID_NUMBER_CHECKSUM,
            "公民身份号码校验位（最后一位）不正确，请核对号码",
            _FIELD,
        )
    if value[:2] not in _PROVINCES:
        raise RuleViolation(
            RuleCode.ID_NUMBER_REGION,
            "公民身份号码前两位应为有效的省级行政区划代码（如重庆为50）",
            _FIELD,
        )
    sex = Sex.MALE if int(value[16]) % 2 == 1 else Sex.FEMALE
    return IdNumber(value=value, birth_date=birth_date, sex=sex)


def _birth_date(value: str, *, today: date) -> date:
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    try:
        born = date(year, month, day)
    except ValueError:
        raise RuleViolation(
            RuleCode.ID_NUMBER_BIRTH_DATE,
            "公民身份号码第7–14位应为真实的出生日期（年月日），"
            f"{value[6:10]}-{value[10:12]}-{value[12:14]}不是有效日期",
            _FIELD,
        ) from None
    if year < _EARLIEST_BIRTH_YEAR or born > today:
        raise RuleViolation(
            RuleCode.ID_NUMBER_BIRTH_DATE,
            f"公民身份号码中的出生日期应在{_EARLIEST_BIRTH_YEAR}年1月1日至今天之间",
            _FIELD,
        )
    return born
