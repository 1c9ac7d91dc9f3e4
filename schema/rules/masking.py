"""Masking of personal data for public pages (PIPL minimisation; REFERENCE.md §7).

The ID number keeps only its first 4 and last 4 characters: the birth date (positions 7–14)
and most of the address code stay hidden, unlike the common "first 6" form.
"""

from __future__ import annotations

from schema.rules.errors import RuleViolation
from schema.rules.mobile import normalize_mobile
from schema.rules.text import compact

_STAR = "*"


def mask_id_number(value: str) -> str:
    """``50010319870615006X`` → ``5001**********006X``; short inputs are masked entirely."""
    v = compact(value).upper()
    if len(v) <= 8:
        return _STAR * len(v)
    return v[:4] + _STAR * (len(v) - 8) + v[-4:]


def mask_name(value: str) -> str:
    """Keep the first character, one ``*`` for each other: 欧阳娜娜 → 欧***, 张 → *."""
    v = value.strip()
    if len(v) <= 1:
        return _STAR * len(v)
    return v[0] + _STAR * (len(v) - 1)


def mask_mobile(value: str) -> str:
    """``+86 138-1234-1234`` → ``138****1234`` (3 + 4); an invalid number is fully masked."""
    try:
        v = normalize_mobile(value)
    except RuleViolation:
        return _STAR * len(compact(value))
    return v[:3] + _STAR * 4 + v[-4:]
