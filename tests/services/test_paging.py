"""The shared cursor format: opaque, bound to one list, refused with a code when forged."""

from __future__ import annotations

import base64

import pytest

from schema.errors import InvalidInput
from schema.services.paging import MAX_PAGE, check_page_size, decode_cursor, encode_cursor


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_a_cursor_round_trips_within_its_list():
    for row_id in (1, 42, 2**63 - 1):
        assert decode_cursor("mr", encode_cursor("mr", row_id)) == row_id
    # The review queue's cursors keep their format ("r:<id>", unpadded base64url).
    assert encode_cursor("r", 7) == _raw("r:7")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        "完全不是游标",
        encode_cursor("r", 7),  # another list's cursor
        _raw("mr:"),
        _raw("mr:x"),
        _raw("mr:-1"),
        _raw(f"mr:{2**63}"),  # beyond any row id (would overflow BIGINT)
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_forged_cursors_are_refused_with_a_code(cursor):
    with pytest.raises(InvalidInput) as caught:
        decode_cursor("mr", cursor)
    assert (caught.value.code, caught.value.problems[0].field) == ("CURSOR_INVALID", "after")


def test_page_size_is_one_to_the_maximum():
    check_page_size(1)
    check_page_size(MAX_PAGE)
    for first in (0, MAX_PAGE + 1):
        with pytest.raises(InvalidInput) as caught:
            check_page_size(first)
        assert caught.value.code == "PAGE_SIZE"
