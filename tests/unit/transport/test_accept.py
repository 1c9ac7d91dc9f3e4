"""schema.http_edge.accept: the one Accept parser of both entrypoints."""

from __future__ import annotations

import pytest

from schema.http_edge.accept import Accept, MediaRange


def test_parse_lowercases_and_reads_q() -> None:
    accept = Accept.parse("Text/HTML;level=1, application/JSON;Q=0.5 ,, */*;q=0.1")
    assert accept.ranges == (
        MediaRange("text/html", 1.0),
        MediaRange("application/json", 0.5),
        MediaRange("*/*", 0.1),
    )


@pytest.mark.parametrize("header", [None, "", "  ", " , "])
def test_absent_or_blank_header_is_falsy(header: str | None) -> None:
    assert not Accept.parse(header)


@pytest.mark.parametrize(("raw", "q"), [("2", 1.0), ("-1", 0.0), ("x", 0.0), ("0.25", 0.25)])
def test_quality_is_clamped_and_unreadable_is_zero(raw: str, q: float) -> None:
    assert Accept.parse(f"application/json;q={raw}").named("application/json") == q


def test_most_specific_range_decides() -> None:
    accept = Accept.parse("*/*;q=0.8, application/*;q=0.5, application/json;q=0")
    assert accept.quality("application/json") == 0.0
    assert accept.quality("application/xml") == 0.5
    assert accept.quality("text/html") == 0.8


def test_named_ignores_wildcards() -> None:
    accept = Accept.parse("*/*, application/*")
    assert accept.quality("application/json") == 1.0
    assert accept.named("application/json") == 0.0


def test_duplicates_take_the_highest_quality() -> None:
    assert Accept.parse("text/html;q=0.2, text/html;q=0.7").named("TEXT/HTML") == 0.7
