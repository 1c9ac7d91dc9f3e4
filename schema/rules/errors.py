"""Outcomes of a rule: a fatal ``RuleViolation`` (raised) or a ``RuleWarning`` (returned).

::

    Exception
    └── RuleViolation      code, message, field — the input cannot be accepted as is
    RuleWarning            code, message, field — accepted, but the person should look again

``code`` is stable and machine-readable (a ``RuleCode`` member, UPPER_SNAKE); ``message`` is
Chinese and says what was expected; ``field`` is the API input field (camelCase) the finding is
about, or ``None`` when it concerns the registration as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class RuleCode(StrEnum):
    """Every code a rule can produce; one place to read them all."""

    # Resident ID number (GB 11643)
    ID_NUMBER_FORMAT = "ID_NUMBER_FORMAT"
    ID_NUMBER_BIRTH_DATE = "ID_NUMBER_BIRTH_DATE"
    ID_NUMBER_CHECKSUM = "ID_NUMBER_CHECKSUM"
    ID_NUMBER_REGION = "ID_NUMBER_REGION"
    # Account data
    MOBILE_FORMAT = "MOBILE_FORMAT"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"  # noqa: S105 — a code name, not a password
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"  # noqa: S105 — a code name, not a password
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"  # noqa: S105 — a code name, not a password
    # Unified social credit code of an employer (统一社会信用代码, GB 32100)
    CREDIT_CODE_FORMAT = "CREDIT_CODE_FORMAT"
    CREDIT_CODE_CHECKSUM = "CREDIT_CODE_CHECKSUM"
    # Approval document number (批准文号)
    APPROVAL_DOCUMENT_REQUIRED = "APPROVAL_DOCUMENT_REQUIRED"
    APPROVAL_DOCUMENT_FORMAT = "APPROVAL_DOCUMENT_FORMAT"
    APPROVAL_DOCUMENT_YEAR = "APPROVAL_DOCUMENT_YEAR"
    APPROVAL_DOCUMENT_YEAR_MISMATCH = "APPROVAL_DOCUMENT_YEAR_MISMATCH"  # warning
    APPROVAL_DOCUMENT_ISSUER_SUGGESTION = "APPROVAL_DOCUMENT_ISSUER_SUGGESTION"  # warning
    # Certificate number (证书编号)
    CERTIFICATE_NUMBER_REQUIRED = "CERTIFICATE_NUMBER_REQUIRED"
    CERTIFICATE_NUMBER_NOT_ALLOWED = "CERTIFICATE_NUMBER_NOT_ALLOWED"
    CERTIFICATE_NUMBER_PREFIX = "CERTIFICATE_NUMBER_PREFIX"
    CERTIFICATE_NUMBER_FORMAT = "CERTIFICATE_NUMBER_FORMAT"
    CERTIFICATE_NUMBER_CHECKSUM = "CERTIFICATE_NUMBER_CHECKSUM"
    CERTIFICATE_NUMBER_OTHER_FORMAT = "CERTIFICATE_NUMBER_OTHER_FORMAT"  # warning
    # Dates (取得时间 / 发证时间)
    DATE_FORMAT = "DATE_FORMAT"
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    DATE_TOO_EARLY = "DATE_TOO_EARLY"
    OBTAINED_AFTER_ISSUED = "OBTAINED_AFTER_ISSUED"
    OBTAINED_BEFORE_ADULTHOOD = "OBTAINED_BEFORE_ADULTHOOD"
    # Registration scope (登记范围)
    SCOPE_SOURCE_UNKNOWN = "SCOPE_SOURCE_UNKNOWN"
    SCOPE_PRE_2021_NOT_PAPER = "SCOPE_PRE_2021_NOT_PAPER"
    SCOPE_PAPER_SINCE_2021 = "SCOPE_PAPER_SINCE_2021"
    SCOPE_TITLE_SYSTEM_AUTOMATIC = "SCOPE_TITLE_SYSTEM_AUTOMATIC"
    SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE = "SCOPE_TITLE_SYSTEM_NOT_REGISTRABLE"
    SCOPE_PENDING_COMPLETION = "SCOPE_PENDING_COMPLETION"
    SCOPE_ALREADY_REGISTERED = "SCOPE_ALREADY_REGISTERED"
    # Choices resolved against the catalog
    LEVEL_REQUIRED = "LEVEL_REQUIRED"
    LEVEL_UNKNOWN = "LEVEL_UNKNOWN"
    SERIES_REQUIRED = "SERIES_REQUIRED"
    SERIES_UNKNOWN = "SERIES_UNKNOWN"
    WAY_OBTAINED_REQUIRED = "WAY_OBTAINED_REQUIRED"
    WAY_OBTAINED_UNKNOWN = "WAY_OBTAINED_UNKNOWN"
    VALIDITY_SCOPE_REQUIRED = "VALIDITY_SCOPE_REQUIRED"
    VALIDITY_SCOPE_UNKNOWN = "VALIDITY_SCOPE_UNKNOWN"
    # Approving authority (审批机关)
    AUTHORITY_FIXED_FOR_SENIOR = "AUTHORITY_FIXED_FOR_SENIOR"
    AUTHORITY_REQUIRED = "AUTHORITY_REQUIRED"
    AUTHORITY_UNKNOWN = "AUTHORITY_UNKNOWN"
    AUTHORITY_LEVEL_MISMATCH = "AUTHORITY_LEVEL_MISMATCH"
    # Review body (评审机构) and way obtained (取得方式)
    REVIEW_BODY_REQUIRED = "REVIEW_BODY_REQUIRED"
    REVIEW_BODY_MISMATCH = "REVIEW_BODY_MISMATCH"
    REVIEW_BODY_NOT_COMMITTEE = "REVIEW_BODY_NOT_COMMITTEE"  # warning
    WAY_LEVEL_MISMATCH = "WAY_LEVEL_MISMATCH"
    WAY_LEVEL_UNUSUAL = "WAY_LEVEL_UNUSUAL"  # warning
    # Specialty (评审专业 / 本地评审专业)
    SPECIALTY_REQUIRED = "SPECIALTY_REQUIRED"
    SPECIALTY_UNKNOWN = "SPECIALTY_UNKNOWN"
    LOCAL_SPECIALTY_REQUIRED = "LOCAL_SPECIALTY_REQUIRED"
    LOCAL_SPECIALTY_NOT_ALLOWED = "LOCAL_SPECIALTY_NOT_ALLOWED"
    LOCAL_SPECIALTY_LISTED = "LOCAL_SPECIALTY_LISTED"
    # Title name (职称名称)
    TITLE_REQUIRED = "TITLE_REQUIRED"
    TITLE_UNKNOWN = "TITLE_UNKNOWN"
    TITLE_SERIES_MISMATCH = "TITLE_SERIES_MISMATCH"
    TITLE_LEVEL_MISMATCH = "TITLE_LEVEL_MISMATCH"
    TITLE_FORMER_NAME = "TITLE_FORMER_NAME"  # warning
    # Known batches (presets)
    BATCH_EMPLOYER_TYPE_UNKNOWN = "BATCH_EMPLOYER_TYPE_UNKNOWN"
    BATCH_CONFLICT = "BATCH_CONFLICT"


class RuleViolation(Exception):
    """An input that breaks a rule of the notice; raised, never returned."""

    def __init__(self, code: RuleCode | str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code: str = str(code)
        self.message: str = message
        self.field: str | None = field

    def __repr__(self) -> str:
        return f"RuleViolation(code={self.code!r}, field={self.field!r}, message={self.message!r})"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, str | None]:
        """Plain form for the API layer: ``{"code", "message", "field"}``."""
        return {"code": self.code, "message": self.message, "field": self.field}


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A non-fatal finding: the value is accepted, the person is asked to check it."""

    code: str
    message: str
    field: str | None = None

    def __post_init__(self) -> None:
        # Store a plain str even when given a RuleCode, as RuleViolation does.
        object.__setattr__(self, "code", str(self.code))

    def to_dict(self) -> dict[str, str | None]:
        """Plain form for the API layer: ``{"code", "message", "field"}``."""
        return {"code": self.code, "message": self.message, "field": self.field}


def gather_violations(*checks: Callable[[], object]) -> list[RuleViolation]:
    """Run each check and collect the violations they raise, so a form shows them all at once.

    A check is a zero-argument callable (e.g. a ``lambda`` around a rule); its return value is
    discarded. Exceptions other than ``RuleViolation`` propagate: they are bugs, not input errors.
    """
    found: list[RuleViolation] = []
    for check in checks:
        try:
            check()
        except RuleViolation as violation:
            found.append(violation)
    return found
