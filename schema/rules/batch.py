"""Known batches (presets): fill a registration from a batch, and check one against it.

The 2021 intermediate engineering review of 重庆市工程技术中级职务渝北区评审委员会 is the one the
notice spells out: the approval document depends on the employer type (事业单位 / 区属国有企业
/ 非公企业); every other field is shared. People from it must register by hand (they were not
evaluated in the title system), so the service fills these fields and refuses contradictions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING

from schema.reference.catalog import lookup_key
from schema.rules.approval_document import normalize_approval_document
from schema.rules.dates import parse_date
from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.review_body import normalize_review_body
from schema.rules.text import is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Batch, Catalog, EmployerType


def batch_fields(batch: Batch, employer_type: str) -> dict[str, str]:
    """The registration fields a batch fixes, keyed by API field name.

    Dates are ISO strings; authority, validityScope, level, series and wayObtained are catalog
    codes (e.g. authority ``500112`` = 渝北区人力资源和社会保障局). ``employer_type`` is a code or
    Chinese name; raises BATCH_EMPLOYER_TYPE_UNKNOWN (field ``batch``).
    """
    employer = _employer(batch, employer_type)
    return {
        "approvalDocument": employer.approval_document,
        "issuedOn": batch.issued_on.isoformat(),
        "obtainedOn": batch.obtained_on.isoformat(),
        "reviewBody": batch.review_body,
        "authority": batch.authority.code,
        "validityScope": batch.validity_scope.code,
        "level": batch.level.code,
        "series": batch.series.code,
        "wayObtained": batch.way_obtained.code,
    }


def check_against_batch(
    batch: Batch, employer_type: str, fields: Mapping[str, object]
) -> list[RuleViolation]:
    """Every filled field of ``fields`` (API names) that contradicts the batch, as BATCH_CONFLICT.

    Values may be codes, names or aliases, dates as ``date`` or ISO strings; empty or missing
    fields are not conflicts (the batch fills them). Each violation's ``field`` is the
    conflicting field and its message names the expected value.
    """
    employer = _employer(batch, employer_type)
    expected: dict[str, tuple[str, Callable[[object], bool], str]] = {
        "approvalDocument": (
            "批准文号",
            lambda v: _same_document(v, employer.approval_document),
            employer.approval_document,
        ),
        "issuedOn": (
            "发证时间",
            lambda v: _same_date(v, batch.issued_on),
            batch.issued_on.isoformat(),
        ),
        "obtainedOn": (
            "取得时间",
            lambda v: _same_date(v, batch.obtained_on),
            batch.obtained_on.isoformat(),
        ),
        "reviewBody": (
            "评审机构",
            lambda v: normalize_review_body(str(v)) == normalize_review_body(batch.review_body),
            batch.review_body,
        ),
        "authority": ("审批机关", _one_of(*batch.authority.names), batch.authority.name),
        "validityScope": (
            "有效范围",
            _one_of(
                batch.validity_scope.code, batch.validity_scope.name, *batch.validity_scope.aliases
            ),
            batch.validity_scope.name,
        ),
        "level": ("职称级别", _one_of(batch.level.code, batch.level.name), batch.level.name),
        "series": (
            "职称系列",
            _one_of(batch.series.code, batch.series.name, *batch.series.aliases),
            batch.series.name,
        ),
        "wayObtained": (
            "取得方式",
            _one_of(batch.way_obtained.code, batch.way_obtained.name, *batch.way_obtained.aliases),
            batch.way_obtained.name,
        ),
    }
    conflicts: list[RuleViolation] = []
    for field_name, (label, matches, shown) in expected.items():
        value = fields.get(field_name)
        if value is None or (isinstance(value, str) and is_blank(value)):
            continue
        if not matches(value):
            conflicts.append(
                RuleViolation(
                    RuleCode.BATCH_CONFLICT,
                    f"{batch.name}（{employer.name}）的{label}应为{shown}",
                    field_name,
                )
            )
    return conflicts


def match_batch(catalog: Catalog, approval_document: str) -> tuple[Batch, EmployerType] | None:
    """The known batch and employer type an approval document number (any spelling) belongs to."""
    try:
        doc = normalize_approval_document(approval_document)
    except RuleViolation:
        return None
    return catalog.batch_for_approval_document(doc.normalized)


def _employer(batch: Batch, employer_type: str) -> EmployerType:
    found = batch.find_employer_type(employer_type)
    if found is None:
        names = "、".join(e.name for e in batch.employer_types)
        raise RuleViolation(
            RuleCode.BATCH_EMPLOYER_TYPE_UNKNOWN,
            f"{batch.name}的单位类型应为{names}之一",
            "batch",
        )
    return found


def _one_of(*names: str) -> Callable[[object], bool]:
    keys = {lookup_key(n) for n in names}
    return lambda v: lookup_key(str(v)) in keys or lookup_key(str(v)).removeprefix("重庆市") in keys


def _same_document(value: object, expected: str) -> bool:
    try:
        parse = normalize_approval_document
        return parse(str(value)).normalized == parse(expected).normalized
    except RuleViolation:
        return False


def _same_date(value: object, expected: date) -> bool:
    if not isinstance(value, (str, date)):
        return False
    try:
        return parse_date(value, field="") == expected
    except RuleViolation:
        return False
