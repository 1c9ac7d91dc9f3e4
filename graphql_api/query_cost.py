"""Query cost analysis: a validation rule refusing operations that would cost too much.

Before anything runs, each operation's cost is estimated from the document alone:

* every selected field costs 1, times the number of times it will be resolved — the product
  of the list sizes above it;
* a list's size is the page size the field asks for (an argument named ``first``, ``last``
  or ``limit``: its literal value; its default when not given; given as a variable, the
  larger of its default and ``max_list_size``, the most a page may hold), which then counts
  for the one list below it (a connection's ``edges``); a list whose size is known in
  advance counts its bound from ``list_sizes`` (``"Type.field"``: the reference data's lists,
  which are not paged); any other list counts ``default_list_size`` items;
* fragments count where they are spread; a union's or interface's fragments are all
  counted (an upper bound); ``__typename`` is free.

So 30 aliases of ``reference`` cost 30 times one ``reference``: aliases, fragments and
nested lists all add up to the cost, not just the depth or the alias count.

The estimate depends on the document only, never on variable values: the rule is one class
per limit, made once, so Strawberry's validation cache (keyed by document and rules) can
keep its result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.type import GraphQLInterfaceType, GraphQLObjectType

__all__ = ["CostRefusal", "cost_limit_rule", "operation_cost"]

#: ``(cost, limit)`` → the error the client gets (its message and extensions.code).
CostRefusal = Callable[[int, int], GraphQLError]

_SIZE_ARGUMENTS = ("first", "last", "limit")


class _Estimator:
    def __init__(
        self,
        context: ValidationContext,
        *,
        default_list_size: int,
        max_list_size: int,
        list_sizes: Mapping[str, int],
    ) -> None:
        self.context = context
        self.default_list_size = default_list_size
        self.max_list_size = max_list_size
        self.list_sizes = list_sizes

    def _size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in _SIZE_ARGUMENTS:
            argument = definition.args.get(name) if definition is not None else None
            default = argument.default_value if argument is not None else Undefined
            default_size = default if isinstance(default, int) else None
            value = given.get(name)
            if isinstance(value, IntValueNode):
                return max(0, int(value.value))
            if isinstance(value, VariableNode):
                return max(self.max_list_size, default_size or 0)
            if value is None and default_size is not None:
                return default_size
        return None

    def selection_set(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        multiplier: int,
        pending: int | None,
        spreading: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, multiplier, pending, spreading)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = (
                    self.context.schema.get_type(condition.name.value) if condition else parent
                )
                total += self.selection_set(
                    selection.selection_set, target, multiplier, pending, spreading
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in spreading:  # unknown or a cycle: other rules
                    continue
                target = self.context.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(
                    fragment.selection_set, target, multiplier, pending, spreading | {name}
                )
        return total

    def field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        multiplier: int,
        pending: int | None,
        spreading: frozenset[str],
    ) -> int:
        if node.name.value == "__typename":
            return 0
        definition = (
            parent.fields.get(node.name.value)
            if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
            else None
        )
        field_type: Any = definition.type if definition is not None else None
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        size = self._size(node, definition)
        factor, below = 1, pending
        if is_list:
            # Its own page size, else the one asked for above it (a connection's), else its
            # known bound, else a guess.
            known = self.list_sizes.get(f"{parent.name}.{node.name.value}") if parent else None
            factor = next(
                s for s in (size, pending, known, self.default_list_size) if s is not None
            )
            below = None
        elif size is not None:  # a connection: the size is its list's, not its siblings'
            below = size
        named = get_named_type(field_type) if field_type is not None else None
        return multiplier + self.selection_set(
            node.selection_set, named, multiplier * factor, below, spreading
        )

    def operation(self, node: OperationDefinitionNode) -> int:
        root = self.context.schema.get_root_type(node.operation)
        return self.selection_set(node.selection_set, root, 1, None, frozenset())


def operation_cost(
    context: ValidationContext,
    node: OperationDefinitionNode,
    *,
    default_list_size: int = 10,
    max_list_size: int = 100,
    list_sizes: Mapping[str, int] | None = None,
) -> int:
    """The estimated cost of one operation of the document ``context`` validates."""
    estimator = _Estimator(
        context,
        default_list_size=default_list_size,
        max_list_size=max_list_size,
        list_sizes=list_sizes or {},
    )
    return estimator.operation(node)


def cost_limit_rule(
    max_cost: int,
    refusal: CostRefusal,
    *,
    default_list_size: int = 10,
    max_list_size: int = 100,
    list_sizes: Mapping[str, int] | None = None,
) -> type[ValidationRule]:
    """A validation rule refusing every operation whose estimated cost exceeds ``max_cost``
    with ``refusal(cost, max_cost)``. Make it once (per schema), not per request."""

    class QueryCostRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = operation_cost(
                self.context,
                node,
                default_list_size=default_list_size,
                max_list_size=max_list_size,
                list_sizes=list_sizes,
            )
            if cost > max_cost:
                error = refusal(cost, max_cost)
                self.report_error(
                    GraphQLError(error.message, node, extensions=error.extensions)
                )

    return QueryCostRule
