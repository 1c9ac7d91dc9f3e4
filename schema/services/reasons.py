"""A reason chosen from a reference list, with the free-text note some reasons require
(退回原因, 撤销原因): one check for every decision that takes one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from schema.errors import InvalidInput
from schema.reference.catalog import UnknownCodeError

__all__ = ["listed_reason"]


class _Reason(Protocol):
    # Read-only members, so frozen dataclasses (the catalog's reasons) match.
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def requires_comment(self) -> bool: ...


R = TypeVar("R", bound=_Reason)


def listed_reason(
    lookup: Callable[[str], R], code: str, note: str | None, *, prefix: str, label: str
) -> tuple[R, str | None]:
    """The reason for ``code`` and the cleaned note; refuses ``{prefix}_REASON_UNKNOWN`` and,
    when the reason needs one, a missing note (``{prefix}_NOTE_REQUIRED``)."""
    try:
        reason = lookup(code)
    except UnknownCodeError:
        raise InvalidInput.one(
            f"{prefix}_REASON_UNKNOWN", f"请从列表中选择{label}", "reason"
        ) from None
    cleaned = (note or "").strip() or None
    if reason.requires_comment and not cleaned:
        raise InvalidInput.one(
            f"{prefix}_NOTE_REQUIRED", f"{label}“{reason.name}”需要填写说明", "note"
        )
    return reason, cleaned
