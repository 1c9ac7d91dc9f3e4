"""The reference data query: the whole registration form's data in one public round trip."""

from __future__ import annotations

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from graphql_api.context import Info
from graphql_api.types.reference import ReferenceType, catalog_revision

__all__ = ["CACHE_CONTROL", "ReferenceQueries"]

CACHE_CONTROL = "public, max-age=300"
# Root fields a cacheable operation may select: the reference data only.
_CACHEABLE_ROOT_FIELDS = frozenset({"reference", "__typename"})


def _root_field_names(info: Info) -> set[str]:
    """Every root field the operation selects, through inline fragments and fragment spreads."""
    fragments = info._raw_info.fragments
    names: set[str] = set()
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> None:
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                names.add(node.name.value)
            elif isinstance(node, InlineFragmentNode):
                walk(node.selection_set)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                walk(fragments[node.name.value].selection_set)

    walk(info.operation.selection_set)
    return names


def _is_public(info: Info) -> bool:
    """The whole operation reads only ``reference``: the answer is public and the same for
    everyone until the revision changes."""
    return _root_field_names(info) <= _CACHEABLE_ROOT_FIELDS


@strawberry.type
class ReferenceQueries:
    @strawberry.field(
        description="基础数据: levels, series and titles, specialties, authorities, review "
        "bodies, ways obtained, validity scopes, batches and reasons. Public (no login)."
    )
    async def reference(self, info: Info) -> ReferenceType:
        catalog = info.context.catalog
        if _is_public(info):
            # The transport may keep the answer until the catalog changes.
            info.context.public_revision = catalog
            if info.context.request.method == "GET":  # and so may HTTP caches
                headers = info.context.response.headers
                headers["Cache-Control"] = CACHE_CONTROL
                headers["ETag"] = f'"{catalog_revision(catalog)}"'
        return ReferenceType.of(catalog)
