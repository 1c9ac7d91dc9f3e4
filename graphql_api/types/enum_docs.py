"""Schema descriptions written from the enums' labels (``schema.enums``), never copied by hand."""

from __future__ import annotations

from schema.enums import LabelledEnum

__all__ = ["coded_labels", "labels"]


def coded_labels(enum: type[LabelledEnum]) -> str:
    """``DRAFT 填写中 · SUBMITTED 待审核.``: an enum type's description."""
    return " · ".join(f"{member.name} {member.label}" for member in enum) + "."


def labels(enum: type[LabelledEnum]) -> str:
    """``有效 / 已更正 / 已撤销.``: the description of a field holding one of the labels."""
    return " / ".join(member.label for member in enum) + "."
