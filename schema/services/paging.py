"""Cursor pagination shared by every list: keyset on the row id, opaque cursors.

A cursor is ``base64url("<kind>:<id>")`` without padding; the kind names the list, so a
cursor of one list is refused by another. Keyset pages are stable under inserts: a page
continues strictly after (or, newest first, strictly before) the id of its cursor.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.queryset import QuerySet

from schema.errors import InvalidInput

__all__ = [
    "MAX_PAGE",
    "Page",
    "check_page_size",
    "decode_cursor",
    "encode_cursor",
    "keyset_page",
]

MAX_PAGE = 100
_MAX_ID = 2**63 - 1  # a BIGINT: anything larger is not a row id

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and, for each of its items, the cursor just after it."""

    items: list[T]
    cursors: list[str]
    has_next_page: bool
    #: A digest of everything the page was made from, when its use case gives one: the
    #: same revision means the same page (``holder_certificates.my_certificates_revision``).
    revision: bytes | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None

    def edges(self) -> list[tuple[str, T]]:
        return list(zip(self.cursors, self.items, strict=True))


def encode_cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> int:
    """The row id of a cursor of this list, or a user-facing CURSOR_INVALID on ``after``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, _, value = raw.partition(":")
        row_id = int(value)
        if found != kind or not 0 <= row_id <= _MAX_ID:
            raise ValueError
        return row_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput.one("CURSOR_INVALID", "分页游标无效", "after") from None


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput.one("PAGE_SIZE", f"每页数量应为1至{MAX_PAGE}", "first")


async def keyset_page(
    query: QuerySet[Any],
    *,
    kind: str,
    first: int,
    after: str | None,
    newest_first: bool = False,
) -> Page[Any]:
    """``first`` rows of ``query`` after the cursor ``after``, ordered by id (ascending, or
    descending when ``newest_first``); one extra row is read to know whether more follow."""
    check_page_size(first)
    if after:
        last = decode_cursor(kind, after)
        query = query.filter(id__lt=last) if newest_first else query.filter(id__gt=last)
    rows = list(await query.order_by("-id" if newest_first else "id").limit(first + 1))
    items = rows[:first]
    return Page(items, [encode_cursor(kind, r.id) for r in items], len(rows) > first)
