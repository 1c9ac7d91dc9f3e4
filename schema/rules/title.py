"""Title name (职称名称) against level and series, REFERENCE.md §1–2.

Older certificates carry former names; each maps to the current title and level
(教授级高级工程师 → 正高级工程师; 中学高级教师 → 高级教师, 副高级; 小学高级教师 → 一级教师, 中级).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema.rules.choices import require_level, require_series
from schema.rules.errors import RuleCode, RuleViolation, RuleWarning
from schema.rules.text import is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Catalog, FormerTitle, Title

_FIELD = "titleName"


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """The current title a typed name designates; ``former`` is set when an old name was used."""

    title: Title
    former: FormerTitle | None = None
    warnings: tuple[RuleWarning, ...] = ()


def check_title(series: str, level: str, title_name: str | None, catalog: Catalog) -> TitleMatch:
    """Resolve a title name within a series and check it belongs to the chosen level.

    Raises ``RuleViolation``: TITLE_REQUIRED, TITLE_SERIES_MISMATCH (the name exists only in
    another series), TITLE_UNKNOWN and TITLE_LEVEL_MISMATCH, all on field ``titleName``.
    A former name is accepted with a TITLE_FORMER_NAME warning giving the current name.
    """
    s = require_series(catalog, series)
    lv = require_level(catalog, level)
    if title_name is None or is_blank(title_name):
        raise RuleViolation(RuleCode.TITLE_REQUIRED, "请填写职称名称，如高级工程师", _FIELD)
    typed = title_name.strip()
    title = s.find_title(typed)
    former = None if title is not None else s.find_former_title(typed)
    if former is not None:
        title = s.title(former.title)
    if title is None:
        elsewhere = catalog.series_with_title(typed)
        if elsewhere:
            names = "、".join(x.name for x in elsewhere)
            raise RuleViolation(
                RuleCode.TITLE_SERIES_MISMATCH,
                f"职称名称“{typed}”属于{names}系列，与所选系列“{s.name}”不一致",
                _FIELD,
            )
        examples = "、".join(t.name for t in s.titles[:5])
        raise RuleViolation(
            RuleCode.TITLE_UNKNOWN,
            f"“{typed}”不是{s.name}系列的职称名称，应为{examples}等",
            _FIELD,
        )
    if title.level != lv.code:
        actual = catalog.level(title.level).name
        shown = f"“{typed}”（现称{title.name}）" if former else f"“{typed}”"
        raise RuleViolation(
            RuleCode.TITLE_LEVEL_MISMATCH,
            f"职称名称{shown}属于{actual}，与所选职称级别“{lv.name}”不一致",
            _FIELD,
        )
    if former is None:
        return TitleMatch(title=title)
    return TitleMatch(
        title=title,
        former=former,
        warnings=(
            RuleWarning(
                RuleCode.TITLE_FORMER_NAME,
                f"“{typed}”为原职称名称，现称“{title.name}”（{catalog.level(title.level).name}）",
                _FIELD,
            ),
        ),
    )
