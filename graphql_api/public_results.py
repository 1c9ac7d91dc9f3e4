"""Answers that are the same for everyone, kept until the data they were made from changes.

The reference data query is public and session-independent, and its answer changes only
with the catalog: executing it again for every request rebuilt hundreds of objects and
completed every field (a ``reference { levels authorities }`` request ran slower than stock
Strawberry serving the same data from memory, issue 10). A resolver whose answer is public
says so by marking the context with the *revision* it read (``Context.public_revision``: the
catalog object, which ``current_catalog()`` replaces when the rows change); the transport
then keeps the answer's ``data``, already encoded as JSON, under the request's method, query
text, operation name and variables. The next identical request is answered from it, without
authenticating or executing, as long as ``revision()`` still returns that very object.

Only complete answers are kept (no errors), so every refusal — validation, limits, unstorable
text — is made again exactly as before; the bound keeps memory flat.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PublicResult", "PublicResults"]

Revision = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class PublicResult:
    """A kept answer: its ``data`` as JSON and the headers its resolvers set."""

    revision: object
    data_json: bytes
    headers: tuple[tuple[bytes, bytes], ...]


class PublicResults:
    """A bounded LRU of public answers, each valid while ``revision()`` returns its revision."""

    def __init__(
        self, *, revision: Revision, maxsize: int = 16, max_entry_bytes: int = 512_000
    ) -> None:
        self.revision = revision
        self.maxsize = maxsize
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[Hashable, PublicResult] = OrderedDict()

    @staticmethod
    def key(
        method: str, query: str, operation_name: str | None, variables: Mapping[str, Any] | None
    ) -> Hashable | None:
        try:
            encoded = json.dumps(variables, sort_keys=True) if variables else ""
        except (TypeError, ValueError):  # not plain JSON (an uploaded file): never kept
            return None
        return (method, query, operation_name, encoded)

    async def lookup(self, key: Hashable | None) -> PublicResult | None:
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            return None
        if entry.revision is not await self.revision():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def keep(
        self,
        key: Hashable | None,
        revision: object,
        data: object,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        if key is None:
            return
        data_json = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(data_json) > self.max_entry_bytes:
            return
        self._entries[key] = PublicResult(revision, data_json, tuple(headers))
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
