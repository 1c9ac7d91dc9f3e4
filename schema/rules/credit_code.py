"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an organisation.

18 characters from the 31-character set ``0-9`` and ``A–Y`` without I, O, Z, S, V: the
registering department, the organisation kind, the six-digit region, the nine-character
organisation code and a check character. For characters c₁…c₁₇ with values vᵢ (their index in
the set) and weights wᵢ = 3^(i−1) mod 31, the check value is ``31 − (Σ vᵢ·wᵢ mod 31)``, with
31 written as ``0``.
"""

from __future__ import annotations

from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import compact

__all__ = ["credit_code_check_char", "normalize_credit_code"]

_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(_CHARSET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_FIELD = "creditCode"


def credit_code_check_char(body: str) -> str:
    """The check character of the first 17 characters of a credit code."""
    if len(body) != 17 or any(c not in _VALUES for c in body):
        raise ValueError("a credit code body is 17 characters of the GB 32100 set")
    remainder = sum(_VALUES[c] * w for c, w in zip(body, _WEIGHTS, strict=True)) % 31
    return _CHARSET[(31 - remainder) % 31]


def normalize_credit_code(raw: str) -> str:
    """The code in upper case without spaces; raises ``RuleViolation`` CREDIT_CODE_FORMAT or
    CREDIT_CODE_CHECKSUM (field ``creditCode``)."""
    value = compact(raw).upper()
    if len(value) != 18 or any(c not in _VALUES for c in value) or not value[2:8].isdigit():
        raise RuleViolation(
            RuleCode.CREDIT_CODE_FORMAT,
            "统一社会信用代码应为18位，由数字和大写字母组成（不含I、O、Z、S、V），第3至8位为行政区划代码",
            _FIELD,
        )
    if credit_code_check_char(value[:17]) != value[17]:
        raise RuleViolation(
            RuleCode.CREDIT_CODE_CHECKSUM, "统一社会信用代码校验位错误，请核对", _FIELD
        )
    return value
