"""Mainland China mobile numbers: 11 digits, ``1[3-9]`` then 9 digits."""

from __future__ import annotations

import re

from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import compact

_FIELD = "mobile"
_SHAPE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[-()]")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86(?=\d{11}$))")


def normalize_mobile(raw: str) -> str:
    """Return the bare 11-digit number; accepts +86/0086/86, spaces, hyphens and brackets.

    Raises ``RuleViolation`` MOBILE_FORMAT (field ``mobile``).
    """
    value = _COUNTRY_PREFIX.sub("", _SEPARATORS.sub("", compact(raw)))
    if not _SHAPE.match(value):
        raise RuleViolation(
            RuleCode.MOBILE_FORMAT,
            "手机号码应为11位中国大陆手机号，以13–19开头，如13812345678",
            _FIELD,
        )
    return value
