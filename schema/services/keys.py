"""Looking a record up by an identifier a client sent (an id, a certId, a kid).

Tortoise checks a filter value against its column as it would a value being saved: an id
longer than the column (``public_id`` holds 32 characters) raised ``ValidationError`` and
PostgreSQL refused a NUL outright, so an odd id answered an internal error where the person
should hear "not found". Such a value cannot name any record: :func:`get_by_key` finds
nothing for it without asking the database. Found by the fuzzer (tests/fuzz).
"""

from __future__ import annotations

from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.rules.text import is_storable

__all__ = ["can_be_key", "get_by_key"]

M = TypeVar("M", bound=Model)


def can_be_key(model: type[Model], field: str, value: object) -> bool:
    """True if ``value`` could be stored in ``model.field``: a string no longer than the
    column, holding only characters a text column can store."""
    if not isinstance(value, str) or not is_storable(value):
        return False
    max_length = getattr(model._meta.fields_map[field], "max_length", None)
    return max_length is None or len(value) <= max_length


async def get_by_key(source: type[M] | QuerySet[M], **lookup: str) -> M | None:
    """The record ``source`` holds with these values, or None at once when a value cannot
    be a key.
    ``source`` is a model or a query over it (``select_for_update().using_db(conn)``)."""
    model = source if isinstance(source, type) else source.model
    if not all(can_be_key(model, field, value) for field, value in lookup.items()):
        return None
    return await source.filter(**lookup).first()
