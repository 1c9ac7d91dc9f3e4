"""The registration wizard's validation (登记证书信息, step by step), as pure functions.

The applicant fills three steps — 职称信息 (TITLE), 批准文件 (DOCUMENT), 专业 (SPECIALTY) — and
each step is saved on its own; submitting validates the whole registration. Everything here is
built from the rules in ``schema.rules`` (which hold the notice's logic) and the ``Catalog``; this
module only decides *which* rule runs on *which* values and what is stored.

Vocabulary:
    API field    camelCase input name (``approvalDocument``); ``Problem.field`` uses these.
    column       stored column name (``approval_document``); ``FormResult.values`` uses these.
    state        the registration as it would be after the save: stored values overlaid with
                 what this step submitted (absent = unchanged, ``None``/blank = cleared).

Decisions (the notice is silent on them):

* **A step save requires the step's own fields** (the wizard's “下一步”): level, series… in
  TITLE; approval document, dates, scope… in DOCUMENT; the certificate number only for titles
  obtained before 2021; the authority only below senior level; the local specialty only with
  其他. Blank fields of *other* steps are simply not filled yet; ``missing_fields`` lists them.
* **Cross-field rules run as soon as all their inputs are known**, from the stored values plus
  this step. A violation refuses the save (``problems``) when its field belongs to the step
  being saved; when it points at a field of *another* step (changing 职称级别 makes the stored
  评审机构 wrong) it is returned as a ``RuleWarning`` with the same code and field, telling the
  applicant which step to revisit, and ``check_complete`` refuses it. Refusing those too would
  let two steps block each other for good (each checked against the other's stale value).
* **Senior titles**: the approving authority is *derived* (the municipal bureau) whenever the
  client does not send one in this call — also when the level changes to senior in TITLE — and
  a different authority sent for a senior title is refused (AUTHORITY_FIXED_FOR_SENIOR).
* **Review body for 初定/确认**: when left empty it defaults to the approving authority's own
  name (for senior titles 重庆市职称改革办公室), which ``check_review_body`` accepts; a typed
  value is checked as typed. For 评审 it is required (the committee named in the document).
* **Title name** is stored under its current name (教授级高级工程师 → 正高级工程师); the
  TITLE_FORMER_NAME warning keeps the name as printed for the reviewer.
* **Specialty** is stored as the list's code (``05-001``; ``05-999`` = 其他), like the other
  choices (level, series, way, scope, authority are stored as catalog codes).
* **Known batch**: picking a batch and employer type in TITLE fills every field the batch fixes
  (level, series, way obtained and the DOCUMENT fields; no certificate number, since it is a 2021
  title), overwriting earlier DOCUMENT values; TITLE fields the client sends must agree. Later
  steps and ``check_complete`` refuse contradictions (BATCH_CONFLICT on the field). A typed
  approval document that belongs to a known batch is checked against that batch even when the
  batch was not picked. The registration source is not fixed by the batch (offline review and
  other systems both occur), but the batch's 2021 date makes PAPER/TITLE_SYSTEM refused.
* **Registration source** 职称系统 (TITLE_SYSTEM) is refused in TITLE already, before any date is
  known: the title system only exists since 2021, and its titles are never registered by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from schema.enums import Step
from schema.errors import Problem
from schema.reference.catalog import (
    Authority,
    Band,
    Batch,
    Catalog,
    EmployerType,
    Level,
    ReviewBodyRule,
    Series,
    ValidityScope,
    WayObtained,
    lookup_key,
)
from schema.rules import (
    ApprovalDocument,
    RegistrationSource,
    RuleCode,
    RuleViolation,
    RuleWarning,
    approval_document_warnings,
    batch_fields,
    check_against_batch,
    check_authority,
    check_certificate_number,
    check_dates,
    check_registration_scope,
    check_review_body,
    check_specialty,
    check_title,
    check_way_level,
    gather_violations,
    normalize_approval_document,
    normalize_certificate_number,
    normalize_review_body,
    parse_date,
    require_level,
    require_series,
    require_validity_scope,
    require_way,
)
from schema.rules.text import compact, is_blank
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR

__all__ = [
    "COLUMNS",
    "FIELD_COLUMNS",
    "FIELD_LABELS",
    "MAX_LENGTHS",
    "STEP_FIELDS",
    "FormCode",
    "FormResult",
    "LoadedRecordCheck",
    "Step",
    "batch_prefill",
    "check_complete",
    "check_loaded_record",
    "check_step",
    "missing_fields",
]

_T = TypeVar("_T")


class FormCode(StrEnum):
    """Codes the form adds where ``schema.rules.RuleCode`` has none (see the module report)."""

    SOURCE_REQUIRED = "SOURCE_REQUIRED"
    OBTAINED_ON_REQUIRED = "OBTAINED_ON_REQUIRED"
    ISSUED_ON_REQUIRED = "ISSUED_ON_REQUIRED"
    BATCH_UNKNOWN = "BATCH_UNKNOWN"
    BATCH_REQUIRED = "BATCH_REQUIRED"  # an employer type without a batch
    EMPLOYER_TYPE_REQUIRED = "EMPLOYER_TYPE_REQUIRED"  # a batch without an employer type
    FIELD_NOT_IN_STEP = "FIELD_NOT_IN_STEP"
    FIELD_UNKNOWN = "FIELD_UNKNOWN"


STEP_FIELDS: Mapping[Step, tuple[str, ...]] = MappingProxyType(
    {
        Step.TITLE: (
            "source",
            "level",
            "series",
            "titleName",
            "wayObtained",
            "batch",
            "employerType",
        ),
        Step.DOCUMENT: (
            "approvalDocument",
            "obtainedOn",
            "issuedOn",
            "certificateNumber",
            "otherNumberFormat",
            "authority",
            "reviewBody",
            "validityScope",
        ),
        Step.SPECIALTY: ("specialty", "localSpecialty"),
    }
)

# API field → stored column(s). The approval document keeps what was typed next to its
# canonical form (search and de-duplication use the canonical one).
FIELD_COLUMNS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "source": ("source",),
        "level": ("level",),
        "series": ("series_code",),
        "titleName": ("title_name",),
        "wayObtained": ("way_obtained",),
        "batch": ("batch_code",),
        "employerType": ("employer_type",),
        "approvalDocument": ("approval_document_raw", "approval_document"),
        "obtainedOn": ("obtained_on",),
        "issuedOn": ("issued_on",),
        "certificateNumber": ("certificate_number",),
        "otherNumberFormat": ("other_number_format",),
        "authority": ("authority_code",),
        "reviewBody": ("review_body",),
        "validityScope": ("validity_scope",),
        "specialty": ("specialty",),
        "localSpecialty": ("local_specialty",),
    }
)

COLUMNS: tuple[str, ...] = tuple(c for cols in FIELD_COLUMNS.values() for c in cols)

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "source": "证书来源",
        "level": "职称级别",
        "series": "职称系列",
        "titleName": "职称名称",
        "wayObtained": "取得方式",
        "batch": "评审批次",
        "employerType": "单位类型",
        "approvalDocument": "批准文号",
        "obtainedOn": "取得时间",
        "issuedOn": "发证时间",
        "certificateNumber": "证书编号",
        "otherNumberFormat": "证书为其他编号格式",
        "authority": "审批机关",
        "reviewBody": "评审机构",
        "validityScope": "有效范围",
        "specialty": "评审专业",
        "localSpecialty": "本地评审专业",
    }
)

# Stored text columns and their sizes (``schema.models.Registration``; a test keeps them equal).
MAX_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "source": 24,
        "level": 16,
        "series_code": 8,
        "title_name": 64,
        "way_obtained": 8,
        "batch_code": 64,
        "employer_type": 32,
        "approval_document_raw": 100,
        "approval_document": 100,
        "certificate_number": 32,
        "authority_code": 32,
        "review_body": 100,
        "validity_scope": 16,
        "specialty": 64,
        "local_specialty": 64,
    }
)

_FIELD_STEP: Mapping[str, Step] = MappingProxyType(
    {name: step for step, names in STEP_FIELDS.items() for name in names}
)
_FIELD_ORDER: Mapping[str, int] = MappingProxyType({name: i for i, name in enumerate(_FIELD_STEP)})

# A finding with one of these codes means “not filled in yet”: in a step save it counts only
# for the step's own fields, and ``missing_fields`` is made of them.
_REQUIRED_CODES = frozenset(
    {
        FormCode.SOURCE_REQUIRED,
        FormCode.OBTAINED_ON_REQUIRED,
        FormCode.ISSUED_ON_REQUIRED,
        FormCode.BATCH_REQUIRED,
        FormCode.EMPLOYER_TYPE_REQUIRED,
        RuleCode.LEVEL_REQUIRED,
        RuleCode.SERIES_REQUIRED,
        RuleCode.TITLE_REQUIRED,
        RuleCode.WAY_OBTAINED_REQUIRED,
        RuleCode.APPROVAL_DOCUMENT_REQUIRED,
        RuleCode.CERTIFICATE_NUMBER_REQUIRED,
        RuleCode.AUTHORITY_REQUIRED,
        RuleCode.REVIEW_BODY_REQUIRED,
        RuleCode.VALIDITY_SCOPE_REQUIRED,
        RuleCode.SPECIALTY_REQUIRED,
        RuleCode.LOCAL_SPECIALTY_REQUIRED,
    }
)

# Other names people give the registration sources on the form, besides the codes and the
# labels themselves (schema.enums.RegistrationSource).
_SOURCE_ALIASES: Mapping[RegistrationSource, tuple[str, ...]] = MappingProxyType(
    {
        RegistrationSource.PAPER: ("纸质职称证书",),
        RegistrationSource.OTHER_SYSTEM: ("其他系统", "职称专业网报系统"),
        RegistrationSource.TITLE_SYSTEM: ("职称申报评审系统",),
    }
)


@dataclass(frozen=True)
class FormResult:
    """Outcome of a step save or a submission check.

    ``values`` are clean values keyed by stored column; only meaningful when ``ok`` (fields
    that were refused are left out). ``problems`` refuse the save (``Problem.field`` is the API
    field); ``warnings`` are accepted findings to show the applicant and the reviewer.
    """

    values: dict[str, Any]
    problems: list[Problem]
    warnings: list[RuleWarning]

    @property
    def ok(self) -> bool:
        """True when nothing was refused."""
        return not self.problems


def check_step(
    step: Step | str,
    submitted: Mapping[str, Any],
    stored: Mapping[str, Any],
    *,
    catalog: Catalog,
    today: date,
    birth_date: date | None,
) -> FormResult:
    """Validate and normalise one wizard step against what is already stored.

    ``submitted`` holds API fields with the client's raw values (absent = unchanged, ``None`` or
    ``""`` = cleared); a field of another step or an unknown field is refused. ``stored`` holds
    the registration's clean values by column. Every violation is collected. ``values`` holds the
    step's columns plus what this save derived (senior authority, default review body, a picked
    batch's fields). See the module docstring for which cross-field findings refuse and which
    only warn.
    """
    step = Step(step)
    own = STEP_FIELDS[step]
    problems = _stray_fields(step, submitted)
    state = _state_from_stored(stored)
    entered = frozenset(name for name in own if name in submitted)
    for name in entered:
        state[name] = _incoming(submitted[name])
    evaluation = _Evaluation(
        state,
        catalog=catalog,
        today=today,
        birth_date=birth_date,
        entered=entered,
        picking_batch=step is Step.TITLE,
    )
    touched = set(own) | evaluation.filled
    warnings: list[RuleWarning] = []
    for finding in evaluation.findings:
        v = finding.violation
        if v.code in _REQUIRED_CODES and v.field not in own:
            continue  # another step not filled in yet: missing_fields reports it
        if not finding.inputs & touched:
            continue  # a rule this save did not touch; it was checked when its step was saved
        if v.field is None or v.field in own:
            problems.append(Problem(v.code, v.message, v.field))
        else:
            warnings.append(RuleWarning(v.code, v.message + _revisit(v.field), v.field))
    warnings.extend(n.warning for n in evaluation.notes if n.inputs & touched)
    problems.sort(key=_field_rank)
    values = {
        column: evaluation.values[column]
        for name in _in_field_order(touched)
        if name in evaluation.settled
        for column in FIELD_COLUMNS[name]
    }
    return FormResult(values=values, problems=problems, warnings=_unique(warnings))


def check_complete(
    stored: Mapping[str, Any],
    *,
    catalog: Catalog,
    today: date,
    birth_date: date | None,
) -> FormResult:
    """Check a whole registration for submission: every required field and every rule.

    Missing fields give ``*_REQUIRED`` problems (the rules' codes where they exist, else
    ``FormCode``); every violation refuses, whatever step its field is in. ``values`` is the
    whole registration, clean (derived values filled in).
    """
    evaluation = _Evaluation(
        _state_from_stored(stored),
        catalog=catalog,
        today=today,
        birth_date=birth_date,
        entered=frozenset(),
        picking_batch=False,
    )
    problems = [
        Problem(f.violation.code, f.violation.message, f.violation.field)
        for f in evaluation.findings
    ]
    problems.sort(key=_field_rank)
    values = _settled_values(evaluation)
    return FormResult(
        values=values,
        problems=problems,
        warnings=_unique(n.warning for n in evaluation.notes),
    )


@dataclass(frozen=True)
class LoadedRecordCheck:
    """Outcome of :func:`check_loaded_record`: refusals, and what is still to be filled in."""

    values: dict[str, Any]
    problems: list[Problem]
    missing: list[str]
    warnings: list[RuleWarning]


def check_loaded_record(
    submitted: Mapping[str, Any],
    *,
    catalog: Catalog,
    today: date,
    birth_date: date | None,
) -> LoadedRecordCheck:
    """Check a whole record loaded in bulk (API fields with raw values) in one evaluation.

    The same rules as the wizard and ``check_complete`` run once over every field (a
    hand registration evaluates them step by step). A field that is merely empty is not a
    refusal: it goes to ``missing`` (the holder completes it later, 待完善); every other
    violation refuses the row. ``values`` holds the clean columns of the fields that passed.
    """
    problems = [
        Problem(str(FormCode.FIELD_UNKNOWN), f"未知的登记项目“{name}”", name)
        for name in submitted
        if name not in _FIELD_STEP
    ]
    state = {name: _incoming(submitted.get(name)) for name in _FIELD_STEP}
    evaluation = _Evaluation(
        state,
        catalog=catalog,
        today=today,
        birth_date=birth_date,
        entered=frozenset(name for name in submitted if name in _FIELD_STEP),
        picking_batch=False,
    )
    missing: set[str] = set()
    for finding in evaluation.findings:
        v = finding.violation
        if v.code in _REQUIRED_CODES and v.field is not None:
            missing.add(v.field)
        else:
            problems.append(Problem(v.code, v.message, v.field))
    problems.sort(key=_field_rank)
    values = _settled_values(evaluation)
    return LoadedRecordCheck(
        values=values,
        problems=problems,
        missing=_in_field_order(missing),
        warnings=_unique(n.warning for n in evaluation.notes),
    )


def missing_fields(stored: Mapping[str, Any], *, catalog: Catalog) -> list[str]:
    """API fields a submission still needs, in wizard order (for 待完善 and the progress bar).

    Conditional fields follow the rules: the certificate number only before 2021 (or for a paper
    certificate whose date is not known yet), the authority only below senior level, the review
    body only when it cannot default (评审), the local specialty only with 其他, batch and
    employer type only together. Fields a known batch fixes are not missing.
    """
    evaluation = _Evaluation(
        _state_from_stored(stored),
        catalog=catalog,
        today=None,
        birth_date=None,
        entered=frozenset(),
        picking_batch=False,
    )
    missing = {
        f.violation.field
        for f in evaluation.findings
        if f.violation.code in _REQUIRED_CODES and f.violation.field is not None
    }
    return _in_field_order(missing)


def batch_prefill(batch_code: str, employer_type: str, *, catalog: Catalog) -> dict[str, Any]:
    """The stored-column values a known batch fixes for an employer type (code or name).

    Includes ``batch_code`` and ``employer_type`` (codes), level/series/way, the DOCUMENT fields
    (approval document raw and canonical, dates as ``date``, authority code, review body,
    validity scope) and ``certificate_number = None`` (the batch's titles are from 2021: the
    system numbers them). Raises ``RuleViolation``: BATCH_UNKNOWN (field ``batch``),
    BATCH_EMPLOYER_TYPE_UNKNOWN (field ``employerType``).
    """
    batch = _find_batch(catalog, batch_code)
    if batch is None:
        raise _unknown_batch(batch_code, catalog)
    fields = _batch_fields(batch, employer_type)
    employer = batch.find_employer_type(employer_type)
    assert employer is not None  # batch_fields has just resolved it
    document = normalize_approval_document(fields["approvalDocument"], today=batch.issued_on)
    return {
        "batch_code": batch.code,
        "employer_type": employer.code,
        "level": fields["level"],
        "series_code": fields["series"],
        "way_obtained": fields["wayObtained"],
        "approval_document_raw": document.raw,
        "approval_document": document.normalized,
        "obtained_on": date.fromisoformat(fields["obtainedOn"]),
        "issued_on": date.fromisoformat(fields["issuedOn"]),
        "certificate_number": None,
        "authority_code": fields["authority"],
        "review_body": normalize_review_body(fields["reviewBody"]),
        "validity_scope": fields["validityScope"],
    }


# ---------------------------------------------------------------------------------------------
# The evaluation: every field and every rule on one state
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Finding:
    """A violation and the API fields the rule read (to tell which saves it concerns)."""

    violation: RuleViolation
    inputs: frozenset[str]


@dataclass(frozen=True)
class _Note:
    warning: RuleWarning
    inputs: frozenset[str]


@dataclass
class _Known:
    """The state's values that passed their own checks, as catalog objects and dates."""

    source: RegistrationSource | None = None
    level: Level | None = None
    series: Series | None = None
    way: WayObtained | None = None
    scope: ValidityScope | None = None
    document: ApprovalDocument | None = None
    obtained_on: date | None = None
    issued_on: date | None = None
    authority: Authority | None = None
    review_body: str | None = None
    batch: tuple[Batch, EmployerType] | None = None


@dataclass
class _Evaluation:
    """Runs every rule on ``state`` (API field → raw or stored value) once, at construction.

    ``entered``: fields the client sent in this call (a senior authority is derived unless
    sent). ``picking_batch``: a TITLE save, where a chosen batch overwrites the fields it fixes.
    ``today=None`` (``missing_fields``) skips the checks that depend on the date.
    """

    state: dict[str, Any]
    catalog: Catalog
    today: date | None
    birth_date: date | None
    entered: frozenset[str]
    picking_batch: bool
    findings: list[_Finding] = field(default_factory=list)
    notes: list[_Note] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # column → clean value
    settled: set[str] = field(default_factory=set)  # API fields whose columns are in values
    filled: set[str] = field(default_factory=set)  # API fields derived or filled here
    known: _Known = field(default_factory=_Known)

    def __post_init__(self) -> None:
        # Order matters only where a value feeds the next: the batch fills blanks first, the
        # level decides the authority, the authority the review body.
        self._batch()
        self._source()
        self.known.level = self._choice("level", require_level)
        self.known.series = self._choice("series", require_series)
        self.known.way = self._choice("wayObtained", require_way)
        self._title()
        self._way_level()
        self._approval_document()
        # Notice Q3 says what each date is; the message repeats it where the field is empty.
        self.known.obtained_on = self._date(
            "obtainedOn",
            FormCode.OBTAINED_ON_REQUIRED,
            "批准文件中评委会评审通过的时间（年-月-日），如2021-12-24",
        )
        self.known.issued_on = self._date(
            "issuedOn",
            FormCode.ISSUED_ON_REQUIRED,
            "批准文件的印发时间，见文件最下方（年-月-日），如2022-02-15",
        )
        self._dates()
        self._document_warnings()
        self._registration_scope()
        self._certificate_number()
        self._authority()
        self._review_body()
        self.known.scope = self._choice("validityScope", require_validity_scope)
        self._specialty()
        self._batch_conflicts()
        self._lengths()

    # --- plumbing ----------------------------------------------------------------------------

    def _text(self, name: str) -> Any:
        """The state's value, ``None`` when blank (a string is returned as is, a date as date)."""
        value = self.state.get(name)
        if value is None or (isinstance(value, str) and is_blank(value)):
            return None
        return value

    def _lengths(self) -> None:
        """What fits the rules must fit the record: a text longer than its column is refused
        here, at the step (or the loaded row), never later when it is stored or issued."""
        for name in self.settled:
            for column in FIELD_COLUMNS[name]:
                value = self.values.get(column)
                limit = MAX_LENGTHS.get(column)
                if isinstance(value, str) and limit is not None and len(value) > limit:
                    self._refuse(
                        RuleViolation(
                            "FIELD_TOO_LONG",
                            f"“{FIELD_LABELS[name]}”不能超过{limit}个字符",
                            name,
                        )
                    )
                    break

    def _run(self, inputs: Iterable[str], check: Callable[[], _T]) -> _T | None:
        """Run one rule; record its violation against the fields it read."""
        out: list[_T] = []
        for violation in gather_violations(lambda: out.append(check())):
            self.findings.append(_Finding(violation, frozenset(inputs)))
        return out[0] if out else None

    def _refuse(self, violation: RuleViolation, inputs: Iterable[str] = ()) -> None:
        self.findings.append(_Finding(violation, frozenset({violation.field or "", *inputs})))

    def _warn(self, warnings: Iterable[RuleWarning], inputs: Iterable[str]) -> None:
        self.notes.extend(_Note(w, frozenset(inputs)) for w in warnings)

    def _set(self, name: str, *column_values: Any) -> None:
        self.values.update(zip(FIELD_COLUMNS[name], column_values, strict=True))
        self.settled.add(name)

    def _clear(self, name: str) -> None:
        self._set(name, *(None for _ in FIELD_COLUMNS[name]))

    def _require(self, name: str, rule: Callable[[], object]) -> None:
        """Record the REQUIRED violation a rule raises for an empty value (its code, its words)."""
        violations = gather_violations(rule)
        if not violations:
            raise AssertionError(f"a rule accepted an empty {name}")  # the rule changed meaning
        self.findings.extend(_Finding(v, frozenset({name})) for v in violations)

    def _own_required(self, code: FormCode, name: str, message: str) -> None:
        self._refuse(RuleViolation(code, message, name))

    # --- TITLE -------------------------------------------------------------------------------

    def _batch(self) -> None:
        batch_text, employer_text = self._text("batch"), self._text("employerType")
        if batch_text is None:
            self._clear("batch")
            if employer_text is None:
                self._clear("employerType")
            else:
                self._own_required(
                    FormCode.BATCH_REQUIRED,
                    "batch",
                    "已选择单位类型，请选择评审批次，或清空单位类型",
                )
            return
        batch = _find_batch(self.catalog, str(batch_text))
        if batch is None:
            self._refuse(_unknown_batch(str(batch_text), self.catalog))
            return
        self._set("batch", batch.code)
        if employer_text is None:
            names = "、".join(e.name for e in batch.employer_types)
            self._own_required(
                FormCode.EMPLOYER_TYPE_REQUIRED,
                "employerType",
                f"已选择{batch.name}，请选择单位类型：{names}",
            )
            return
        fields = self._run(
            ("batch", "employerType"), lambda: _batch_fields(batch, str(employer_text))
        )
        employer = batch.find_employer_type(str(employer_text))
        if fields is None or employer is None:
            return
        self._set("employerType", employer.code)
        self.known.batch = (batch, employer)
        for name, value in fields.items():
            # In TITLE the batch is being chosen: it decides every field it fixes, except TITLE
            # fields the client sent (those must agree, see _batch_conflicts). Elsewhere it only
            # fills what is still empty; a stored value is checked against it instead.
            overwrite = self.picking_batch and name not in self.entered
            if overwrite or self._text(name) is None:
                self.state[name] = value
                self.filled.add(name)
        if self.picking_batch and "certificateNumber" not in self.entered:
            self.state["certificateNumber"] = None  # a 2021 title: numbered by the system
            self.filled.add("certificateNumber")

    def _source(self) -> None:
        text = self._text("source")
        if text is None:
            self._own_required(
                FormCode.SOURCE_REQUIRED,
                "source",
                "请选择证书来源：纸质证书、其他职称系统、线下评审、线下初定或线下确认",
            )
            return
        source = _parse_source(str(text))
        if source is None:
            # The scope rule owns the message listing the sources; any year and band will do.
            self._run(
                ("source",),
                lambda: check_registration_scope(
                    obtained_year=TITLE_SYSTEM_FROM_YEAR, band=Band.ZHONG, source=str(text)
                ),
            )
            return
        self.known.source = source
        self._set("source", source.value)

    def _choice(self, name: str, rule: Callable[[Catalog, str | None], Any]) -> Any:
        """Level, series, way, scope: resolved by code, name or alias, stored as the code."""
        text = self._text(name)
        if text is None:
            self._require(name, lambda: rule(self.catalog, None))
            return None
        entry = self._run((name,), lambda: rule(self.catalog, str(text)))
        if entry is not None:
            self._set(name, entry.code)
        return entry

    def _title(self) -> None:
        text, series, level = self._text("titleName"), self.known.series, self.known.level
        if text is None:
            some = self.catalog.series_list[0]
            self._require(
                "titleName",
                lambda: check_title(
                    (series or some).code,
                    level.code if level else some.titles[0].level,
                    None,
                    self.catalog,
                ),
            )
            return
        if series is None or level is None:
            return  # the series or level problem is what the applicant must fix first
        match = self._run(
            ("titleName", "series", "level"),
            lambda: check_title(series.code, level.code, str(text), self.catalog),
        )
        if match is not None:
            self._set("titleName", match.title.name)
            self._warn(match.warnings, ("titleName", "series", "level"))

    def _way_level(self) -> None:
        way, level = self.known.way, self.known.level
        if way is None or level is None:
            return
        inputs = ("wayObtained", "level")
        warnings = self._run(inputs, lambda: check_way_level(way.code, level.code, self.catalog))
        self._warn(warnings or (), inputs)

    def _registration_scope(self) -> None:
        source, level, obtained = self.known.source, self.known.level, self.known.obtained_on
        if source is None or level is None:
            return
        inputs: tuple[str, ...]
        if obtained is not None:
            year, inputs = obtained.year, ("source", "level", "obtainedOn")
        elif source is RegistrationSource.TITLE_SYSTEM:
            # The title system exists since 2021: refuse it before any date is entered.
            year, inputs = TITLE_SYSTEM_FROM_YEAR, ("source", "level")
        else:
            return
        self._run(
            inputs,
            lambda: check_registration_scope(obtained_year=year, band=level.band, source=source),
        )

    # --- DOCUMENT ----------------------------------------------------------------------------

    def _approval_document(self) -> None:
        text = self._text("approvalDocument")
        if text is None:
            self._require("approvalDocument", lambda: normalize_approval_document(None))
            return
        # Without ``today`` (missing_fields) no year is too late: only presence matters there.
        today = self.today or date.max
        document = self._run(
            ("approvalDocument",), lambda: normalize_approval_document(str(text), today=today)
        )
        if document is not None:
            self.known.document = document
            self._set("approvalDocument", document.raw, document.normalized)

    def _date(self, name: str, required: FormCode, what: str) -> date | None:
        value = self._text(name)
        if value is None:
            self._own_required(required, name, f"请填写{FIELD_LABELS[name]}：{what}")
            return None
        if isinstance(value, datetime):
            value = value.date()
        parsed = self._run((name,), lambda: parse_date(value, field=name))
        if parsed is not None:
            self._set(name, parsed)
        return parsed

    def _dates(self) -> None:
        obtained, issued, today = self.known.obtained_on, self.known.issued_on, self.today
        if obtained is None or issued is None or today is None:
            return
        inputs = ("obtainedOn", "issuedOn")
        problems = gather_violations(
            lambda: check_dates(obtained, issued, today=today, birth_date=self.birth_date)
        )
        for violation in problems:
            self.findings.append(_Finding(violation, frozenset(inputs)))
            # A refused date is not a clean value.
            self.settled.discard(violation.field or "")

    def _document_warnings(self) -> None:
        document, issued = self.known.document, self.known.issued_on
        if document is None:
            return
        inputs = ("approvalDocument", "issuedOn") if issued else ("approvalDocument",)
        self._warn(approval_document_warnings(document, issued, catalog=self.catalog), inputs)

    def _certificate_number(self) -> None:
        text, obtained = self._text("certificateNumber"), self.known.obtained_on
        other_format = self.state.get("otherNumberFormat") is True
        self._set("otherNumberFormat", other_format)
        if obtained is None:
            if text is not None:
                self._set("certificateNumber", normalize_certificate_number(str(text)))
            elif self.known.source is RegistrationSource.PAPER:
                # No date yet, but a paper certificate is a pre-2021 one: its number is needed.
                self._require(
                    "certificateNumber",
                    lambda: check_certificate_number(None, obtained_year=TITLE_SYSTEM_FROM_YEAR - 1),
                )
            else:
                self._clear("certificateNumber")
            return
        inputs = ("certificateNumber", "obtainedOn", "otherNumberFormat")
        checked = self._run(
            inputs,
            lambda: check_certificate_number(
                None if text is None else str(text),
                obtained_year=obtained.year,
                allow_other_format=other_format,
            ),
        )
        if checked is not None:
            self._set("certificateNumber", checked.value)
            self._warn(checked.warnings, inputs)

    def _authority(self) -> None:
        text, level = self._text("authority"), self.known.level
        municipal = self.catalog.municipal_authority
        if level is not None and level.is_senior and "authority" not in self.entered:
            # Senior: the applicant does not choose (notice Q5); whatever was stored is replaced.
            text = None
            if self.state.get("authority") != municipal.code:
                self.filled.add("authority")
        if level is None:
            if text is None:
                below_senior = _below_senior(self.catalog)
                self._require(
                    "authority", lambda: check_authority(below_senior, None, self.catalog)
                )
                return
            found = self.catalog.resolve_authority(str(text))
            if found is None:
                # Unresolvable whatever the level: the rule words the refusal.
                below_senior = _below_senior(self.catalog)
                self._run(
                    ("authority",),
                    lambda: check_authority(below_senior, str(text), self.catalog),
                )
                return
        else:
            found = self._run(
                ("authority", "level"),
                lambda: check_authority(
                    level.code, None if text is None else str(text), self.catalog
                ),
            )
            if found is None:
                return
        self.known.authority = found
        self._set("authority", found.code)

    def _review_body(self) -> None:
        text = self._text("reviewBody")
        way, level, authority = self.known.way, self.known.level, self.known.authority
        municipal = self.catalog.municipal_authority
        if way is None or level is None or authority is None:
            if text is not None:
                self._set("reviewBody", normalize_review_body(str(text)))
            elif way is None or way.review_body is not ReviewBodyRule.AUTHORITY:
                # 评审 and the like: the committee must be typed. (初定/确认 default later.)
                rule_way = way or _committee_way(self.catalog)
                below_senior = _below_senior(self.catalog)
                self._require(
                    "reviewBody",
                    lambda: check_review_body(
                        rule_way.code, below_senior, None, municipal, self.catalog
                    ),
                )
            return
        if text is None and way.review_body is ReviewBodyRule.AUTHORITY:
            # 初定/确认 (notice Q6): the approving authority itself; for senior titles the
            # municipal title office, which is the one name check_review_body accepts then.
            text = (municipal.title_office or municipal.name) if level.is_senior else authority.name
            self.filled.add("reviewBody")
        inputs = ("reviewBody", "wayObtained", "level", "authority")
        checked = self._run(
            inputs,
            lambda: check_review_body(
                way.code, level.code, None if text is None else str(text), authority, self.catalog
            ),
        )
        if checked is not None:
            self.known.review_body = checked.value
            self._set("reviewBody", checked.value)
            self._warn(checked.warnings, inputs)

    # --- SPECIALTY ---------------------------------------------------------------------------

    def _specialty(self) -> None:
        text, local, series = (
            self._text("specialty"),
            self._text("localSpecialty"),
            self.known.series,
        )
        if text is None:
            some = series or self.catalog.series_list[0]
            self._require("specialty", lambda: check_specialty(some.code, None, None, self.catalog))
            self._set("localSpecialty", None if local is None else compact(str(local)))
            return
        if series is None:
            # The list depends on the series, not known yet: keep what was typed; it is checked
            # once the series is saved and again on submission.
            self._set("specialty", compact(str(text)))
            self._set("localSpecialty", None if local is None else compact(str(local)))
            return
        inputs = ("specialty", "localSpecialty", "series")
        choice = self._run(
            inputs,
            lambda: check_specialty(
                series.code, str(text), None if local is None else str(local), self.catalog
            ),
        )
        if choice is not None:
            self._set("specialty", choice.specialty.code)
            self._set("localSpecialty", choice.local_specialty)

    # --- known batches -----------------------------------------------------------------------

    def _batch_conflicts(self) -> None:
        k = self.known
        fields: dict[str, object] = {
            "approvalDocument": k.document.normalized if k.document else None,
            "issuedOn": k.issued_on,
            "obtainedOn": k.obtained_on,
            "reviewBody": k.review_body,
            "authority": k.authority.code if k.authority else None,
            "validityScope": k.scope.code if k.scope else None,
            "level": k.level.code if k.level else None,
            "series": k.series.code if k.series else None,
            "wayObtained": k.way.code if k.way else None,
        }
        if k.batch is not None:
            batch, employer = k.batch
            base: tuple[str, ...] = ("batch", "employerType")
        elif k.document is not None and self._text("batch") is None:
            # Not picked, but the typed document is one of a known batch's: hold it to that.
            matched = self.catalog.batch_for_approval_document(k.document.normalized)
            if matched is None:
                return
            batch, employer = matched
            base = ("approvalDocument",)
        else:
            return
        for conflict in check_against_batch(batch, employer.code, fields):
            self.findings.append(_Finding(conflict, frozenset({*base, conflict.field or ""})))
            self.settled.discard(conflict.field or "")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _settled_values(evaluation: _Evaluation) -> dict[str, Any]:
    """The clean columns of every field that passed, in wizard order."""
    return {
        column: evaluation.values[column]
        for name in _FIELD_STEP
        if name in evaluation.settled
        for column in FIELD_COLUMNS[name]
    }


def _state_from_stored(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored columns → API fields; the approval document is re-read from what was typed."""
    state: dict[str, Any] = {}
    for name, columns in FIELD_COLUMNS.items():
        if name == "approvalDocument":
            state[name] = stored.get("approval_document_raw") or stored.get("approval_document")
        else:
            state[name] = stored.get(columns[0])
    return state


def _incoming(value: Any) -> Any:
    """A client value as the rules take it: ``None``, a date, a flag, or text."""
    if value is None or isinstance(value, (str, date, bool)):
        return value
    return str(value)


def _stray_fields(step: Step, submitted: Mapping[str, Any]) -> list[Problem]:
    """Fields sent to the wrong step are refused rather than silently dropped."""
    problems: list[Problem] = []
    for name in submitted:
        other = _FIELD_STEP.get(name)
        if other is None:
            problems.append(Problem(str(FormCode.FIELD_UNKNOWN), f"未知的登记项目“{name}”", name))
        elif other is not step:
            problems.append(
                Problem(
                    str(FormCode.FIELD_NOT_IN_STEP),
                    f"{FIELD_LABELS[name]}属于“{other.label}”步骤，请在该步骤中填写",
                    name,
                )
            )
    return problems


def _revisit(name: str) -> str:
    return f"（请在“{_FIELD_STEP[name].label}”步骤中修改{FIELD_LABELS[name]}）"


def _in_field_order(names: Iterable[str]) -> list[str]:
    return sorted((n for n in set(names) if n in _FIELD_ORDER), key=_FIELD_ORDER.__getitem__)


def _field_rank(problem: Problem) -> int:
    # Problems are listed in the order the fields appear on the form (stable within a field).
    return _FIELD_ORDER.get(problem.field or "", len(_FIELD_ORDER))


def _unique(warnings: Iterable[RuleWarning]) -> list[RuleWarning]:
    return list(dict.fromkeys(warnings))


def _parse_source(text: str) -> RegistrationSource | None:
    key = lookup_key(text)
    for source in RegistrationSource:
        names = (source.value, source.label, *_SOURCE_ALIASES.get(source, ()))
        if key in {lookup_key(n) for n in names}:
            return source
    return None


def _below_senior(catalog: Catalog) -> str:
    return next(lv.code for lv in catalog.levels if not lv.is_senior)


def _committee_way(catalog: Catalog) -> WayObtained:
    return next(w for w in catalog.ways_obtained if w.review_body is ReviewBodyRule.COMMITTEE)


def _find_batch(catalog: Catalog, text: str) -> Batch | None:
    key = lookup_key(text)
    return next(
        (b for b in catalog.batches if key in (lookup_key(b.code), lookup_key(b.name))), None
    )


def _unknown_batch(text: str, catalog: Catalog) -> RuleViolation:
    names = "、".join(b.name for b in catalog.batches)
    return RuleViolation(
        FormCode.BATCH_UNKNOWN,
        f"未找到评审批次“{text.strip()}”；已知批次：{names}。不属于已知批次的请不选择",
        "batch",
    )


def _batch_fields(batch: Batch, employer_type: str) -> dict[str, str]:
    """``batch_fields``, with an unknown employer type reported on ``employerType``."""
    try:
        return batch_fields(batch, employer_type)
    except RuleViolation as violation:
        # The rule predates a separate employer-type field and names ``batch``.
        raise RuleViolation(violation.code, violation.message, "employerType") from None
