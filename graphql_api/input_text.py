"""Refuses GraphQL input text that no record can hold, before any resolver sees it.

A NUL character (PostgreSQL text cannot store it, and asyncpg fails on it even in a
``WHERE``) or a lone UTF-16 surrogate (JSON lets a client send ``"\\ud800"``; it cannot be
encoded as UTF-8 for any database) in an argument reached the resolvers and failed there as
an internal error. No registry value contains either, so the request is refused as a whole,
like any other invalid request (no ``data``; HTTP 400 for ``graphql-response+json``), with
the machine code INPUT_INVALID_CHARACTER, whichever field the text was meant for.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from schema.errors import InvalidInput
from schema.rules.text import is_storable

__all__ = ["UnstorableTextGuard", "unstorable_text"]


def unstorable_text() -> InvalidInput:
    return InvalidInput.one(
        "INPUT_INVALID_CHARACTER", "输入内容含有无法处理的字符（如空字符），请删除后重试"
    )


def _values_storable(value: Any) -> bool:
    if isinstance(value, str):
        return is_storable(value)
    if isinstance(value, Mapping):
        return all(_values_storable(k) and _values_storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_values_storable(item) for item in value)
    return True  # numbers, booleans, null, uploaded files


class _FindUnstorable(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if not is_storable(node.value):
            self.found = True


# Documents come from graphql_api.document_cache, the same object for the same text: their
# literals are checked once. Keyed by identity (a document's own hash walks its whole tree),
# with a weak reference that tells a reused id from the document it was checked for.
_checked_documents: OrderedDict[int, tuple[weakref.ref[DocumentNode], bool]] = OrderedDict()
_CHECKED_DOCUMENTS_MAX = 256


def _document_storable(document: DocumentNode | None) -> bool:
    if document is None:
        return True
    known = _checked_documents.get(id(document))
    if known is not None and known[0]() is document:
        return known[1]
    finder = _FindUnstorable()
    visit(document, finder)
    _checked_documents[id(document)] = (weakref.ref(document), not finder.found)
    while len(_checked_documents) > _CHECKED_DOCUMENTS_MAX:
        _checked_documents.popitem(last=False)
    return not finder.found


class UnstorableTextGuard(SchemaExtension):
    """Answers a request whose literals or variables hold unstorable text with one request
    error, without executing it (after validation: a malformed query keeps its own error)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if not (
            _document_storable(context.graphql_document)
            and _values_storable(context.variables or {})
        ):
            refusal = unstorable_text()
            context.result = ExecutionResult(
                data=None,
                errors=[GraphQLError(refusal.message, extensions={"code": refusal.code})],
            )
        yield
