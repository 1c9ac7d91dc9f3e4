"""Text clean-up shared by the rules: what people type versus what the registry stores."""

from __future__ import annotations

import functools
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# NUL, which PostgreSQL text cannot hold, and lone UTF-16 surrogates (JSON's "\ud800"), which
# cannot be encoded as UTF-8 at all: no record holds them, no database can be asked for them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# After NFKC every bracket the notice or users write is ASCII or one of these CJK forms; the
# notice itself mixes () and （）, so names are compared with a single, full-width form.
_TO_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", "[": "（", "]": "）"})


@functools.lru_cache(maxsize=8192)
def compact(value: str) -> str:
    """NFKC-normalise and remove every whitespace character (full-width spaces included)."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value))


def is_storable(value: str) -> bool:
    """False if ``value`` holds a character no text column can store (NUL, a lone surrogate)."""
    return _UNSTORABLE.search(value) is None


def is_blank(value: str | None) -> bool:
    """True for ``None`` and for strings that are empty once whitespace is removed."""
    return value is None or compact(value) == ""


def full_width_brackets(value: str) -> str:
    """NFKC, no whitespace, round brackets in full width: the form names are compared in."""
    return compact(value).translate(_TO_FULL_WIDTH)
