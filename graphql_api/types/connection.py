"""Cursor connections: every list of the API is ``edges { cursor node }`` + ``pageInfo``.

``Connection[RegistrationType]`` is named ``RegistrationConnection`` in the schema (its
edges ``RegistrationEdge``), and so on for each node type. A page comes from the core's
keyset pagination (:mod:`schema.services.paging`); ``connection`` converts its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry

from schema.services.paging import Page

__all__ = ["Connection", "Edge", "PageInfo", "connection"]

M = TypeVar("M")
N = TypeVar("N")


@strawberry.type(name="PageInfo")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to read the next page; null when the page is empty."
    )
    has_next_page: bool


@strawberry.type
class Edge(Generic[N]):
    cursor: str = strawberry.field(description="The position just after this node.")
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo


def connection(page: Page[M], node: Callable[[M], N]) -> Connection[N]:
    """The GraphQL connection of a page, each row converted by ``node``."""
    return Connection(
        edges=[Edge(cursor=cursor, node=node(row)) for cursor, row in page.edges()],
        page_info=PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next_page),
    )
