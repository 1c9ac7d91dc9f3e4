"""ISO 7064:1983 MOD 11-2, the check character of the resident ID number (GB 11643).

One implementation serves both the ID number and the system certificate number, so the two can
never drift apart. For digits a₁…aₙ the weight of aᵢ is 2^(n−i+1) mod 11; with
r = Σ aᵢ·wᵢ mod 11 the check character is ``"10X98765432"[r]``. For n = 17 the weights are the
familiar 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
"""

from __future__ import annotations

_CHECK_CHARS = "10X98765432"


def mod11_2_check_char(digits: str) -> str:
    """Return the MOD 11-2 check character ('0'–'9' or 'X') for a string of ASCII digits."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError("MOD 11-2 needs a non-empty string of ASCII digits")
    n = len(digits)
    total = sum(int(d) * pow(2, n - i, 11) for i, d in enumerate(digits))
    return _CHECK_CHARS[total % 11]


def has_valid_mod11_2(value: str) -> bool:
    """True when the last character of ``value`` is the MOD 11-2 check of the digits before it."""
    if len(value) < 2:
        return False
    body, check = value[:-1], value[-1]
    if not (body.isascii() and body.isdigit()):
        return False
    return mod11_2_check_char(body) == check.upper()
