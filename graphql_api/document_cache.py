"""Parsed and validated GraphQL documents by query text: parse and validate once per text.

Validation was a third of a GraphQL request (issue 10). Strawberry's ``ParserCache`` and
``ValidationCache`` would each hash the document's whole syntax tree on every request (the
tree is a frozen dataclass: its hash walks every node) and ``ValidationCache`` keys on the
rule tuple as well; here one bounded LRU, keyed by the query text alone, keeps both
results. That is sound because the schema's rules (query cost, depth, aliases, the token
limit, introspection) are made once per schema (``graphql_api.transport.limit_extensions``)
and one cache belongs to one schema (``graphql_api.root.build_schema``): for one schema the
parse and validation outcome depends on the text only, never on variables, the operation
name or who asks.

A text that does not parse is not kept (its error is made again, as before); a text that
parses is kept with its validation errors, so a refused operation is refused again without
validating it twice. Two bounds keep clients sending ever-new texts from growing memory: a
number of texts and their total length (a document's syntax tree takes about 80 bytes per
character of its text, so the default 100,000 characters hold about 8 MB).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension

__all__ = ["DocumentCache"]


@dataclass(frozen=True, slots=True)
class _Checked:
    document: DocumentNode
    errors: tuple[GraphQLError, ...]


class DocumentCache:
    """A bounded LRU of parsed documents and their validation errors, for one schema."""

    def __init__(self, *, maxsize: int = 256, max_chars: int = 100_000) -> None:
        self.maxsize = maxsize
        self.max_chars = max_chars
        self._chars = 0
        self._entries: OrderedDict[str, _Checked] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> _Checked | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode, errors: list[GraphQLError]) -> None:
        if len(query) > self.max_chars:
            return
        if query not in self._entries:
            self._chars += len(query)
        self._entries[query] = _Checked(document, tuple(errors))
        self._entries.move_to_end(query)
        while len(self._entries) > self.maxsize or self._chars > self.max_chars:
            dropped, _ = self._entries.popitem(last=False)
            self._chars -= len(dropped)

    def extension(self) -> Callable[[], SchemaExtension]:
        """The factory to list in ``strawberry.Schema(extensions=[...])``."""
        return lambda: _CachedDocuments(self)


class _CachedDocuments(SchemaExtension):
    """On a hit, hands Strawberry the document and its errors, so it neither parses nor
    validates; on a miss, lets it do both as usual and keeps the outcome."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache
        self.hit: _Checked | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            self.hit = self.cache.get(context.query)
            if self.hit is not None:
                context.graphql_document = self.hit.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.hit is not None:
            # A list of our own: Strawberry and the extensions may replace its items.
            context.pre_execution_errors = list(self.hit.errors)
            yield
            return
        yield
        document, errors = context.graphql_document, context.pre_execution_errors
        if context.query and document is not None and errors is not None:
            self.cache.put(context.query, document, errors)
