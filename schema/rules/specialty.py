"""Specialty (评审专业名称) and local specialty (本地评审专业), notice Q7.

Pick the specialty from the series' list; only when it is not listed pick 其他 and type the
specialty the committee passed into 本地评审专业. Otherwise 本地评审专业 stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema.rules.choices import require_series
from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import compact, is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Catalog, Specialty


@dataclass(frozen=True, slots=True)
class SpecialtyChoice:
    """The listed specialty and, with 其他 only, the local specialty as typed (trimmed)."""

    specialty: Specialty
    local_specialty: str | None


def check_specialty(
    series: str, specialty: str | None, local_specialty: str | None, catalog: Catalog
) -> SpecialtyChoice:
    """Check the specialty pair for a series (code or name).

    Raises ``RuleViolation``: SPECIALTY_REQUIRED, SPECIALTY_UNKNOWN (field ``specialty``);
    LOCAL_SPECIALTY_REQUIRED, LOCAL_SPECIALTY_NOT_ALLOWED and LOCAL_SPECIALTY_LISTED (the typed
    local specialty is in the list and must be chosen there; field ``localSpecialty``).
    """
    s = require_series(catalog, series)
    if specialty is None or is_blank(specialty):
        raise RuleViolation(
            RuleCode.SPECIALTY_REQUIRED,
            "请选择评审专业；列表中没有对应专业的，请选择“其他”并填写本地评审专业",
            "specialty",
        )
    found = catalog.specialty(s.code, specialty)
    if found is None:
        raise RuleViolation(
            RuleCode.SPECIALTY_UNKNOWN,
            f"“{specialty.strip()}”不在{s.name}的评审专业列表中；"
            "列表中没有对应专业的，请选择“其他”并在“本地评审专业”中填写",
            "specialty",
        )
    if not found.other:
        if not is_blank(local_specialty):
            raise RuleViolation(
                RuleCode.LOCAL_SPECIALTY_NOT_ALLOWED,
                f"已在列表中选择评审专业“{found.name}”，“本地评审专业”无需填写",
                "localSpecialty",
            )
        return SpecialtyChoice(specialty=found, local_specialty=None)
    if local_specialty is None or is_blank(local_specialty):
        raise RuleViolation(
            RuleCode.LOCAL_SPECIALTY_REQUIRED,
            "评审专业选择“其他”时，请在“本地评审专业”中填写评委会评审通过的专业名称",
            "localSpecialty",
        )
    listed = catalog.specialty(s.code, local_specialty)
    if listed is not None and not listed.other:
        raise RuleViolation(
            RuleCode.LOCAL_SPECIALTY_LISTED,
            f"“{listed.name}”已在评审专业列表中，请直接选择，“本地评审专业”无需填写",
            "localSpecialty",
        )
    return SpecialtyChoice(specialty=found, local_specialty=compact(local_specialty))
