"""Catalog.name_of / specialty_name: the one way codes become names for display."""

from __future__ import annotations

from typing import get_args

import pytest

from schema.reference.catalog import NamedKind, load_catalog

CATALOG = load_catalog()


@pytest.mark.parametrize(
    ("kind", "code", "name"),
    [
        ("level", "ZHONG", "中级"),
        ("series", "01", CATALOG.series("01").name),
        ("authority", "MUNICIPAL", CATALOG.authority("MUNICIPAL").name),
        ("way_obtained", "PS", CATALOG.way("PS").name),
    ],
)
def test_name_of_known_codes(kind: NamedKind, code: str, name: str) -> None:
    assert CATALOG.name_of(kind, code) == name


@pytest.mark.parametrize("kind", get_args(NamedKind))
def test_name_of_unknown_code_is_the_code_and_no_code_is_none(kind: NamedKind) -> None:
    assert CATALOG.name_of(kind, "NO_SUCH_CODE") == "NO_SUCH_CODE"
    assert CATALOG.name_of(kind, None) is None
    assert CATALOG.name_of(kind, "") is None


def test_specialty_name() -> None:
    assert CATALOG.specialty_name("01", "01-001") == "哲学"
    assert CATALOG.specialty_name("01", "哲学") == "哲学"
    assert CATALOG.specialty_name("01", "本地专业") == "本地专业"  # not listed: as typed
    assert CATALOG.specialty_name("99", "01-001") == "01-001"  # unknown series
    assert CATALOG.specialty_name(None, "01-001") == "01-001"
    assert CATALOG.specialty_name("01", None) is None
