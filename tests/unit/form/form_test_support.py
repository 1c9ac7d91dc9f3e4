"""Shared values for the registration-form tests: a catalog, a clock, and filled-in steps.

Every helper is pure; tests build the ``stored`` mapping by applying step results in order,
as the service does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from schema.reference.catalog import load_catalog
from schema.registration_form import FormResult, Step, check_complete, check_step

CATALOG = load_catalog()
TODAY = date(2024, 6, 1)
BIRTH = date(1985, 3, 1)

# 2022 intermediate engineer, reviewed offline by a district committee (notice scope (b)).
TITLE_ZHONG: dict[str, Any] = {
    "source": "OFFLINE_REVIEW",
    "level": "中级",
    "series": "工程技术人员",
    "titleName": "工程师",
    "wayObtained": "评审",
}
DOCUMENT_ZHONG: dict[str, Any] = {
    "approvalDocument": "渝北职改办〔2022〕30号",
    "obtainedOn": "2022-09-20",
    "issuedOn": "2022-10-15",
    "certificateNumber": "",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
}
SPECIALTY_LISTED: dict[str, Any] = {"specialty": "建筑工程", "localSpecialty": ""}

# 2019 senior engineer with a paper certificate (notice scope (a)).
TITLE_PAPER_SENIOR: dict[str, Any] = {
    "source": "PAPER",
    "level": "副高级",
    "series": "05",
    "titleName": "高级工程师",
    "wayObtained": "PS",
}
DOCUMENT_PAPER_SENIOR: dict[str, Any] = {
    "approvalDocument": "渝职改办〔2019〕150号",
    "obtainedOn": "2019-11-08",
    "issuedOn": "2019-12-20",
    "certificateNumber": "0113-2019-0042",
    "reviewBody": "重庆市工程技术高级职称评审委员会",
    "validityScope": "CITY",
}


def save(
    step: Step,
    submitted: Mapping[str, Any],
    stored: Mapping[str, Any] | None = None,
    *,
    today: date = TODAY,
    birth_date: date | None = BIRTH,
) -> FormResult:
    """``check_step`` with the test catalog and clock."""
    return check_step(
        step, submitted, dict(stored or {}), catalog=CATALOG, today=today, birth_date=birth_date
    )


def complete(stored: Mapping[str, Any], *, birth_date: date | None = BIRTH) -> FormResult:
    """``check_complete`` with the test catalog and clock."""
    return check_complete(stored, catalog=CATALOG, today=TODAY, birth_date=birth_date)


def stored_after(*steps: tuple[Step, Mapping[str, Any]]) -> dict[str, Any]:
    """Apply step saves in order, as the service does; every one of them must pass."""
    stored: dict[str, Any] = {}
    for step, submitted in steps:
        result = save(step, submitted, stored)
        assert result.ok, f"setup step {step} was refused: {result.problems}"
        stored.update(result.values)
    return stored


def registered_zhong() -> dict[str, Any]:
    """A complete 2022 intermediate registration, saved step by step."""
    return stored_after(
        (Step.TITLE, TITLE_ZHONG),
        (Step.DOCUMENT, DOCUMENT_ZHONG),
        (Step.SPECIALTY, SPECIALTY_LISTED),
    )


def registered_paper_senior() -> dict[str, Any]:
    """A complete 2019 senior paper-certificate registration, saved step by step."""
    return stored_after(
        (Step.TITLE, TITLE_PAPER_SENIOR),
        (Step.DOCUMENT, DOCUMENT_PAPER_SENIOR),
        (Step.SPECIALTY, SPECIALTY_LISTED),
    )


def refusals(result: FormResult) -> list[tuple[str, str | None]]:
    """The (code, field) pairs of a result's problems, in order."""
    return [(p.code, p.field) for p in result.problems]


def warning_codes(result: FormResult) -> list[tuple[str, str | None]]:
    """The (code, field) pairs of a result's warnings, in order."""
    return [(w.code, w.field) for w in result.warnings]
