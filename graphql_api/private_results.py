"""One person's answers, kept with the revision of the data they were made from and given
again only after reading that data again and finding it unchanged.

A holder's ``myCertificates`` answer is a pure function of the rows of one narrow query (the
page), the catalog (labels) and the query text and variables: the certificate type's fields
are the row's columns and catalog names, and ``supersededBy`` names a row id's ``certId``,
which never changes. Completing its fields through Strawberry and graphql-core took most of
the request (issue 10). So a resolver whose answer is the whole operation's, and made only
from such a read, marks the context with a :class:`PrivateAnswer`: the *probe* (the read
again, digested) and the revision it had. The transport keeps the answer's ``data`` as JSON
under the request's method, query text, operation name, variables and account.

The next identical request from the same account is authenticated as usual (the session is
checked every time); then the probe runs — the page query itself — and only if its revision
is the kept one, and the catalog is the same object, is the kept answer sent. So nothing is
ever answered from memory that the database no longer says: a revocation, a correction or a
new certificate changes the rows, hence the revision, and the request is executed afresh.

Only complete answers are kept (no errors, no extensions); the bounds (entries and bytes)
keep memory flat.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

import orjson
from graphql import FieldNode, OperationDefinitionNode, OperationType

__all__ = ["PrivateAnswer", "PrivateResult", "PrivateResults", "answers_whole_operation"]

Probe = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class PrivateAnswer:
    """What a resolver tells the transport: its answer is the operation's, and was made
    from data whose revision is ``revision`` (``probe()`` reads it again)."""

    probe: Probe
    revision: bytes


@dataclass(frozen=True, slots=True)
class PrivateResult:
    """A kept answer: its ``data`` as JSON, what it was made from, the headers it set."""

    answer: PrivateAnswer
    catalog: object
    data_json: bytes
    headers: tuple[tuple[bytes, bytes], ...]


class PrivateResults:
    """A bounded LRU of per-account answers, each given again only while its probe reads
    the same revision."""

    def __init__(
        self, *, maxsize: int = 4096, max_entry_bytes: int = 64_000, max_bytes: int = 16_000_000
    ) -> None:
        self.maxsize = maxsize
        self.max_entry_bytes = max_entry_bytes
        self.max_bytes = max_bytes
        self.hits = 0  # answers given again (the tests and /metrics-free checks read it)
        self._bytes = 0
        self._entries: OrderedDict[Hashable, PrivateResult] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def lookup(self, key: Hashable, catalog: object) -> PrivateResult | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.catalog is not catalog or await entry.answer.probe() != entry.answer.revision:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def keep(
        self,
        key: Hashable,
        answer: PrivateAnswer,
        catalog: object,
        data: object,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        data_json = orjson.dumps(data)
        if len(data_json) > self.max_entry_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = PrivateResult(answer, catalog, data_json, tuple(headers))
        self._bytes += len(data_json)
        while len(self._entries) > self.maxsize or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.data_json)


def answers_whole_operation(operation: OperationDefinitionNode, field_name: str) -> bool:
    """Whether a query's answer is that of its one root field ``field_name`` (besides a
    constant ``__typename``): only then may the field's revision stand for the whole
    answer. Fragments at the root could name other fields, so they are not taken."""
    if operation.operation is not OperationType.QUERY:
        return False
    selections = operation.selection_set.selections
    if not all(isinstance(s, FieldNode) for s in selections):
        return False
    fields = [s for s in selections if isinstance(s, FieldNode) and s.name.value != "__typename"]
    return len(fields) == 1 and fields[0].name.value == field_name
