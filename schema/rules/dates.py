"""取得时间 (date obtained) and 发证时间 (issue date), notice Q3.

取得时间 is the day the review committee passed the title, as stated in the approval document;
发证时间 is the day that document was issued (bottom of the document). Hence obtained ≤ issued.
"""

from __future__ import annotations

from datetime import date

from schema.rules.errors import RuleCode, RuleViolation
from schema.rules.text import compact

OBTAINED = "obtainedOn"
ISSUED = "issuedOn"
FIRST_YEAR = 1978  # titles (职称) were restored in 1978
ADULT_AGE = 18


def parse_date(value: str | date, *, field: str) -> date:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string; raises DATE_FORMAT for anything else."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(compact(value))
    except ValueError:
        raise RuleViolation(
            RuleCode.DATE_FORMAT, "日期应写作“年-月-日”，如2021-12-24", field
        ) from None


def check_dates(
    obtained_on: date,
    issued_on: date,
    *,
    today: date,
    birth_date: date | None = None,
) -> None:
    """Check the two dates of a registration against each other, today and the birth date.

    Raises ``RuleViolation``: DATE_IN_FUTURE, DATE_TOO_EARLY (before 1978),
    OBTAINED_AFTER_ISSUED, and, when ``birth_date`` is known, OBTAINED_BEFORE_ADULTHOOD.
    """
    for value, field, label in (
        (obtained_on, OBTAINED, "取得时间"),
        (issued_on, ISSUED, "发证时间"),
    ):
        if value > today:
            raise RuleViolation(
                RuleCode.DATE_IN_FUTURE, f"{label}不能晚于今天（{today.isoformat()}）", field
            )
        if value.year < FIRST_YEAR:
            raise RuleViolation(RuleCode.DATE_TOO_EARLY, f"{label}不应早于{FIRST_YEAR}年", field)
    if obtained_on > issued_on:
        raise RuleViolation(
            RuleCode.OBTAINED_AFTER_ISSUED,
            "取得时间（评委会评审通过的时间）不能晚于发证时间（批准文件印发时间）",
            OBTAINED,
        )
    if birth_date is not None and _age_on(birth_date, obtained_on) < ADULT_AGE:
        raise RuleViolation(
            RuleCode.OBTAINED_BEFORE_ADULTHOOD,
            f"取得职称时应已年满{ADULT_AGE}周岁，请核对取得时间",
            OBTAINED,
        )


def _age_on(birth_date: date, day: date) -> int:
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)
