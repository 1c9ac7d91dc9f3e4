"""Resolving level, series, way obtained and validity scope."""

from collections.abc import Callable
from typing import Any

import pytest

from schema.reference.catalog import Catalog, load_catalog
from schema.rules import (
    RuleViolation,
    require_level,
    require_series,
    require_validity_scope,
    require_way,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("resolve", "typed", "code"),
    [
        (require_level, "副高级", "FU_GAO"),
        (require_level, "zhong", "ZHONG"),
        (require_series, "工程", "05"),
        (require_series, "工程技术人员", "05"),
        (require_way, "来渝确认", "QR"),
        (require_validity_scope, "全市", "CITY"),
    ],
)
def test_codes_names_and_aliases_resolve(
    catalog: Catalog, resolve: Callable[[Catalog, str | None], Any], typed: str, code: str
) -> None:
    assert resolve(catalog, typed).code == code


@pytest.mark.parametrize(
    ("resolve", "value", "code", "field"),
    [
        (require_level, None, "LEVEL_REQUIRED", "level"),
        (require_level, "初级", "LEVEL_UNKNOWN", "level"),
        (require_series, "", "SERIES_REQUIRED", "series"),
        (require_series, "厨师", "SERIES_UNKNOWN", "series"),
        (require_way, " ", "WAY_OBTAINED_REQUIRED", "wayObtained"),
        (require_way, "购买", "WAY_OBTAINED_UNKNOWN", "wayObtained"),
        (require_validity_scope, None, "VALIDITY_SCOPE_REQUIRED", "validityScope"),
        (require_validity_scope, "全球", "VALIDITY_SCOPE_UNKNOWN", "validityScope"),
    ],
)
def test_refusals(
    catalog: Catalog,
    resolve: Callable[[Catalog, str | None], object],
    value: str | None,
    code: str,
    field: str,
) -> None:
    with pytest.raises(RuleViolation) as info:
        resolve(catalog, value)
    assert (info.value.code, info.value.field) == (code, field)
