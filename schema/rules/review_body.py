"""Review body (评审机构) and way obtained × level, notice Q6 and REFERENCE.md §3, §5.

评审 / 转评 / 考评结合: the committee named in the approval document — its name should end with
评审委员会 or 评委会 (a warning otherwise: older documents use other forms). 初定 / 确认: the
approving authority itself (its name or its 职称改革办公室); for a senior title
重庆市职称改革办公室. Names are compared with brackets in full width, since the notice itself
writes both 重庆市卫生技术(内科)… and （内科）.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema.reference.catalog import ReviewBodyRule
from schema.rules.choices import require_level, require_way
from schema.rules.errors import RuleCode, RuleViolation, RuleWarning
from schema.rules.text import full_width_brackets, is_blank

if TYPE_CHECKING:
    from schema.reference.catalog import Authority, Catalog

_FIELD = "reviewBody"
COMMITTEE_SUFFIXES = ("评审委员会", "评委会")
_COMMITTEE_EXAMPLE = "重庆市工程技术中级职务渝北区评审委员会"


@dataclass(frozen=True, slots=True)
class ReviewBodyCheck:
    """The review body as stored (brackets in full width) and any warnings."""

    value: str
    warnings: tuple[RuleWarning, ...] = ()


def normalize_review_body(raw: str) -> str:
    """NFKC, no whitespace, round brackets full-width: 重庆市卫生技术(内科)… → …（内科）…."""
    return full_width_brackets(raw)


def check_way_level(way: str, level: str, catalog: Catalog) -> list[RuleWarning]:
    """Check that the way obtained allows the level (both given as code or name).

    Raises WAY_LEVEL_MISMATCH (field ``wayObtained``), e.g. 考试 or 初定 with a senior level;
    returns WAY_LEVEL_UNUSUAL warnings, e.g. 初定 with 中级 (only for 硕士/博士).
    """
    w = require_way(catalog, way)
    lv = require_level(catalog, level)
    if lv.code not in w.allowed_levels:
        allowed = "、".join(catalog.level(code).name for code in w.allowed_levels)
        raise RuleViolation(
            RuleCode.WAY_LEVEL_MISMATCH,
            f"{w.name}取得的职称级别应为{allowed}，不能是{lv.name}",
            "wayObtained",
        )
    return [
        RuleWarning(RuleCode.WAY_LEVEL_UNUSUAL, x.message, "wayObtained")
        for x in w.warn_levels
        if x.level == lv.code
    ]


def check_review_body(
    way: str,
    level: str,
    review_body: str | None,
    authority: Authority,
    catalog: Catalog,
) -> ReviewBodyCheck:
    """Check 评审机构 against the way obtained, the level and the approving authority.

    ``authority`` is the result of ``check_authority``. Raises REVIEW_BODY_REQUIRED and
    REVIEW_BODY_MISMATCH (field ``reviewBody``); returns REVIEW_BODY_NOT_COMMITTEE as a warning.
    """
    w = require_way(catalog, way)
    lv = require_level(catalog, level)
    if w.review_body is ReviewBodyRule.AUTHORITY:
        source = catalog.municipal_authority if lv.is_senior else authority
        # For senior titles the notice names the title office alone, not the bureau.
        expected = (
            (source.title_office or source.name,) if lv.is_senior else source.review_body_names
        )
        senior = "高级" if lv.is_senior else ""
        what = f"{w.name}取得的{senior}职称，评审机构应填写{'或'.join(expected)}"
        if review_body is None or is_blank(review_body):
            raise RuleViolation(RuleCode.REVIEW_BODY_REQUIRED, f"请填写评审机构：{what}", _FIELD)
        value = normalize_review_body(review_body)
        if value not in {normalize_review_body(e) for e in expected}:
            raise RuleViolation(RuleCode.REVIEW_BODY_MISMATCH, what, _FIELD)
        return ReviewBodyCheck(value=value)

    if review_body is None or is_blank(review_body):
        raise RuleViolation(RuleCode.REVIEW_BODY_REQUIRED, _required_message(w.review_body), _FIELD)
    value = normalize_review_body(review_body)
    is_committee = value.endswith(COMMITTEE_SUFFIXES)
    if w.review_body is ReviewBodyRule.COMMITTEE and not is_committee:
        return ReviewBodyCheck(value=value, warnings=(_not_committee(),))
    if w.review_body is ReviewBodyRule.COMMITTEE_OR_AUTHORITY and not (
        is_committee or value in {normalize_review_body(n) for n in authority.review_body_names}
    ):
        return ReviewBodyCheck(value=value, warnings=(_not_committee(),))
    return ReviewBodyCheck(value=value)


def _required_message(rule: ReviewBodyRule) -> str:
    if rule is ReviewBodyRule.EXAM_AUTHORITY:
        return "请填写组织考试的机构"
    if rule is ReviewBodyRule.COMMITTEE_OR_AUTHORITY:
        return "请填写评审委员会名称或自主评审单位名称"
    return f"请填写批准文件中对所获职称进行评审的评审委员会，如{_COMMITTEE_EXAMPLE}"


def _not_committee() -> RuleWarning:
    return RuleWarning(
        RuleCode.REVIEW_BODY_NOT_COMMITTEE,
        f"评审机构一般为批准文件中的评审委员会，名称以“评审委员会”或“评委会”结尾，如{_COMMITTEE_EXAMPLE}，请核对",
        _FIELD,
    )
