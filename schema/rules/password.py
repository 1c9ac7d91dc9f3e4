"""Minimum password policy for applicant accounts.

At least 10 characters and 2 of the 3 classes (letters, digits, symbols); not built from the
person's own ID number or mobile, not a well-known password. Hashing is done elsewhere; the upper
bound only keeps the hashing cost bounded.
"""

from __future__ import annotations

import unicodedata

from schema.rules.errors import RuleCode, RuleViolation

_FIELD = "password"
MIN_LENGTH = 10
MAX_LENGTH = 128
_MIN_DISTINCT = 4

# Common choices that still pass the length and class rules; compared case-insensitively.
_COMMON = frozenset(
    {
        "1234567890", "0123456789", "12345678910", "123456789a", "a123456789", "a1234567890",
        "qwertyuiop", "qwerty123456", "qwer123456", "qwe123456789", "1q2w3e4r5t",
        "1qaz2wsx3edc", "1qaz@wsx3edc", "zaq12wsxcde3", "asdfghjkl1", "zxcvbnm123",
        "password12", "password123", "password1!", "passw0rd123", "p@ssw0rd123", "p@ssword123",
        "abc1234567", "abcd123456", "abcd1234!@", "abc123456789", "aa123456789", "aa12345678",
        "admin12345", "admin123456", "admin@1234", "iloveyou123", "woaini1314", "woaini520!",
        "woaini1314520", "5201314520", "1314520520", "11223344556", "qq123456789",
        "chongqing123", "chongqing2021", "cq123456789",
    }
)  # fmt: skip


def check_password(
    password: str, *, id_number: str | None = None, mobile: str | None = None
) -> None:
    """Raise ``RuleViolation`` PASSWORD_TOO_SHORT / PASSWORD_TOO_LONG / PASSWORD_TOO_WEAK.

    ``id_number`` and ``mobile`` are the account's own (already normalised) values: a password
    containing the ID number, its birth date or last 6 characters, or the mobile is refused.
    """
    text = unicodedata.normalize("NFKC", password)
    if len(text) < MIN_LENGTH:
        raise RuleViolation(RuleCode.PASSWORD_TOO_SHORT, f"密码长度应不少于{MIN_LENGTH}位", _FIELD)
    if len(text) > MAX_LENGTH:
        raise RuleViolation(RuleCode.PASSWORD_TOO_LONG, f"密码长度应不超过{MAX_LENGTH}位", _FIELD)
    if _class_count(text) < 2:
        raise _weak("密码应至少包含字母、数字、符号中的两类")
    lowered = text.lower()
    if lowered in _COMMON or len(set(lowered)) < _MIN_DISTINCT:
        raise _weak("密码过于常见或简单，请换一个不易被猜到的密码")
    if id_number and any(part.lower() in lowered for part in _id_parts(id_number)):
        raise _weak("密码不能包含本人的公民身份号码、出生日期或身份号码后6位")
    if mobile and mobile in text:
        raise _weak("密码不能包含本人的手机号码")


def _weak(message: str) -> RuleViolation:
    return RuleViolation(RuleCode.PASSWORD_TOO_WEAK, message, _FIELD)


def _class_count(text: str) -> int:
    has_letter = any(c.isalpha() for c in text)
    has_digit = any(c.isdigit() for c in text)
    has_symbol = any(not c.isalnum() for c in text)
    return has_letter + has_digit + has_symbol


def _id_parts(id_number: str) -> tuple[str, ...]:
    # The whole number, the birth date and the last 6 characters are what people reuse.
    parts = [id_number, id_number[-6:]]
    if len(id_number) == 18:
        parts.append(id_number[6:14])
    return tuple(p for p in parts if len(p) >= 6)
