"""JSON Canonicalization Scheme (RFC 8785): the one byte form of a JSON value.

Used by the ``eddsa-jcs-2022`` Data Integrity proofs of the credential export
(``crypto.vc``).  The rules, RFC 8785 §3.2:

* no whitespace; literals ``null``, ``true``, ``false``;
* strings: UTF-8, escaping only ``"``, ``\\`` and U+0000..U+001F (``\\b \\t \\n \\f \\r``
  by name, the others as ``\\u00xx`` with lower-case hex); everything else literal;
* numbers: IEEE-754 doubles serialised like ECMAScript ``Number.prototype.toString``
  (shortest round-trip digits; plain notation for ``1e-7 <= |x| < 1e21``, else
  ``d.ddde±x``); ``-0`` is ``0``; NaN and infinities are refused.  A Python ``int`` is a
  number too and must be exactly representable as a double (``|n| <= 2**53``);
* object members sorted by their names as arrays of UTF-16 code units.

Input is the Python form of JSON (``dict`` with ``str`` keys, ``list``/``tuple``,
``str``, ``int``, ``float``, ``bool``, ``None``); anything else, a lone surrogate in a
string or a too deep value raises :class:`JcsError`.
"""

from __future__ import annotations

import math
from typing import Any

from crypto.errors import CryptoError

__all__ = ["JcsError", "canonicalize"]

_MAX_DEPTH = 64
_MAX_SAFE_INT = 2**53
_NAMED_ESCAPES = {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


class JcsError(CryptoError, ValueError):
    """A value has no JCS form (not JSON, NaN/infinity, unsafe integer, lone surrogate)."""


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    parts: list[str] = []
    _write(value, parts, 0)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise JcsError("a string holds a lone surrogate") from None


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise JcsError("value nested too deeply")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise JcsError("integer not exactly representable as an IEEE-754 double")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise JcsError("object member names must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise JcsError(f"{type(value).__name__} is not a JSON value")


def _utf16_key(name: str) -> bytes:
    # Big-endian UTF-16 bytes compare like the sequence of UTF-16 code units.
    try:
        return name.encode("utf-16-be")
    except UnicodeEncodeError:
        raise JcsError("a member name holds a lone surrogate") from None


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        named = _NAMED_ESCAPES.get(code)
        if named is not None:
            out.append(named)
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: float) -> str:
    """ECMAScript Number::toString for a finite double (ECMA-262 §6.1.6.1.20)."""
    if not math.isfinite(value):
        raise JcsError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip (the same choice ECMAScript makes).
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    # Decimal exponent n such that value = 0.d1d2... * 10**n (ECMAScript's n).
    exponent = int(exp_text) if exp_text else 0
    if int_part == "0":  # "0.00ddd" (repr has no exponent then)
        point = exponent - (len(frac_part) - len(frac_part.lstrip("0")))
    else:
        point = exponent + len(int_part)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    exponent = point - 1
    exp_sign = "+" if exponent >= 0 else "-"
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{exp_sign}{abs(exponent)}"
