"""Approving authority (审批机关), notice Q5.

高级 (正高级/副高级): fixed to 重庆市人力资源和社会保障局(重庆市职称改革办公室); the person does not
choose it. 中/初级: chosen by personnel jurisdiction from the district/county bureaus and the
departments; a title office maps to its bureau or department (渝北区职改办 → 渝北区人力资源和
社会保障局, 市教委职改办 → 市教委), which the catalog's aliases do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema.rules.choices import require_level
from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Authority, Catalog

_FIELD = "authority"
_HOW_TO_CHOOSE = (
    "中、初级职称请按人事管理权限选择区县人力资源和社会保障局或主管部门"
    "（如渝北区职改办请选择渝北区人力资源和社会保障局，市教委职改办请选择市教委）"
)


def check_authority(level: str, authority: str | None, catalog: Catalog) -> Authority:
    """Return the approving authority for a registration at ``level`` (code or name).

    Senior: ``authority`` may be empty (the fixed bureau is returned) or designate that bureau;
    anything else raises AUTHORITY_FIXED_FOR_SENIOR. Intermediate/junior: required
    (AUTHORITY_REQUIRED), must resolve by code, name or alias (AUTHORITY_UNKNOWN), and must
    approve that level (AUTHORITY_LEVEL_MISMATCH). Field ``authority``.
    """
    lv = require_level(catalog, level)
    municipal = catalog.municipal_authority
    if lv.is_senior:
        if authority is None or is_blank(authority):
            return municipal
        if catalog.resolve_authority(authority) is municipal:
            return municipal
        raise RuleViolation(
            RuleCode.AUTHORITY_FIXED_FOR_SENIOR,
            f"高级职称的审批机关固定为{municipal.display_name}，无需选择",
            _FIELD,
        )
    if authority is None or is_blank(authority):
        raise RuleViolation(
            RuleCode.AUTHORITY_REQUIRED, f"请选择审批机关：{_HOW_TO_CHOOSE}", _FIELD
        )
    found = catalog.resolve_authority(authority)
    if found is None:
        raise RuleViolation(
            RuleCode.AUTHORITY_UNKNOWN,
            f"未找到审批机关“{authority.strip()}”，请从列表中选择；{_HOW_TO_CHOOSE}",
            _FIELD,
        )
    if lv.code not in found.levels:
        raise RuleViolation(
            RuleCode.AUTHORITY_LEVEL_MISMATCH,
            f"{found.display_name}不审批{lv.name}职称；{_HOW_TO_CHOOSE}",
            _FIELD,
        )
    return found
