"""The person's choices of level, series, way obtained and validity scope, resolved.

Each ``require_*`` accepts a code or a Chinese name (what a form or an import may send) and
returns the catalog entry, or raises a ``RuleViolation`` naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Catalog, Level, Series, ValidityScope, WayObtained


def require_level(catalog: Catalog, value: str | None) -> Level:
    """Resolve 职称级别; LEVEL_REQUIRED / LEVEL_UNKNOWN (field ``level``)."""
    if value is None or is_blank(value):
        raise RuleViolation(RuleCode.LEVEL_REQUIRED, "请选择职称级别", "level")
    level = catalog.resolve_level(value)
    if level is None:
        names = "、".join(lv.name for lv in catalog.levels)
        raise RuleViolation(RuleCode.LEVEL_UNKNOWN, f"职称级别应为{names}之一", "level")
    return level


def require_series(catalog: Catalog, value: str | None) -> Series:
    """Resolve 职称系列; SERIES_REQUIRED / SERIES_UNKNOWN (field ``series``)."""
    if value is None or is_blank(value):
        raise RuleViolation(RuleCode.SERIES_REQUIRED, "请选择职称系列", "series")
    series = catalog.resolve_series(value)
    if series is None:
        raise RuleViolation(
            RuleCode.SERIES_UNKNOWN,
            f"未找到职称系列“{value.strip()}”，请从列表中选择，如工程技术人员",
            "series",
        )
    return series


def require_way(catalog: Catalog, value: str | None) -> WayObtained:
    """Resolve 取得方式; WAY_OBTAINED_REQUIRED / WAY_OBTAINED_UNKNOWN (field ``wayObtained``)."""
    if value is None or is_blank(value):
        raise RuleViolation(
            RuleCode.WAY_OBTAINED_REQUIRED, "请选择取得方式（评审、初定、确认等）", "wayObtained"
        )
    way = catalog.resolve_way(value)
    if way is None:
        names = "、".join(w.name for w in catalog.ways_obtained)
        raise RuleViolation(
            RuleCode.WAY_OBTAINED_UNKNOWN, f"取得方式应为{names}之一", "wayObtained"
        )
    return way


def require_validity_scope(catalog: Catalog, value: str | None) -> ValidityScope:
    """Resolve 有效范围; VALIDITY_SCOPE_REQUIRED / VALIDITY_SCOPE_UNKNOWN (``validityScope``)."""
    if value is None or is_blank(value):
        raise RuleViolation(
            RuleCode.VALIDITY_SCOPE_REQUIRED, "请选择有效范围，如全市", "validityScope"
        )
    scope = catalog.resolve_validity_scope(value)
    if scope is None:
        names = "、".join(v.name for v in catalog.validity_scopes)
        raise RuleViolation(
            RuleCode.VALIDITY_SCOPE_UNKNOWN, f"有效范围应为{names}之一", "validityScope"
        )
    return scope
