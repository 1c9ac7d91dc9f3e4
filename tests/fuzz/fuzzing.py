"""Schemathesis in GraphQL mode over every root field of the real schema, in-process.

The cases come from schemathesis (``graphql_api.root.schema`` as SDL → one operation per
root field of ``Query`` and ``Mutation``, hypothesis-graphql strategies). Each case is sent to
the real app through the test's own ``ApiClient`` (``httpx.ASGITransport``), on the event
loop that owns the database connections: hypothesis runs in a worker thread and hands every
request to that loop, so generation, shrinking and reporting are schemathesis's and
hypothesis's own while the app runs exactly as in the other in-process tests.

Schemathesis writes every argument inline, so a second pass (``variables_operations``)
calls each root field that has arguments with one variable per argument and sends
hypothesis-drawn JSON values: mostly of the argument's type (huge and negative numbers, odd
text, unknown enum names, partial input objects), at times of any other type. That reaches
the coercion of variables and the JSON and Upload scalars as clients really send them.

A response is a server error when it is an HTTP 5xx, when a GraphQL error carries the
internal-error mask (``MASKED_ERROR_MESSAGE``) or an internal code, when a non-null field
resolved to null (graphql-core's own message, which is never masked), or when the request
left an ERROR record with a traceback in the logs. Domain refusals (NOT_AUTHENTICATED,
FORBIDDEN, …) are field errors with a ``path`` and are the expected answer to most
generated input, so schemathesis's built-in ``not_a_server_error`` (which counts every
field error as a server error) is not used.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import graphql
import httpx
import schemathesis
import schemathesis.graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from graphql_api.root import schema as graphql_schema
from graphql_api.transport import MASKED_ERROR_MESSAGE
from tests.support.client import ApiClient

__all__ = [
    "FuzzRun",
    "LogTrap",
    "VariablesOperation",
    "all_operations",
    "fuzz_schema",
    "variables_operations",
]

# Codes a GraphQL server uses for "the server failed", ours and the common ones.
INTERNAL_CODES = frozenset({"INTERNAL", "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR"})
NON_NULL_VIOLATION = "Cannot return null for non-nullable field"


def _json_value() -> st.SearchStrategy[Any]:
    """GraphQL literals for the JSON scalar: any JSON value, nested a little."""
    leaves = st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers().map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.text(max_size=30).map(nodes.String),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(nodes.List),
            st.dictionaries(
                st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"), children, max_size=4
            ).map(
                lambda values: nodes.Object(
                    [
                        graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=value)
                        for key, value in values.items()
                    ]
                )
            ),
        ),
        max_leaves=8,
    )


def _register_scalars() -> None:
    # Date and DateTime come with schemathesis; the other two are ours. An Upload can only
    # arrive as a multipart file part; written inline it is whatever a client types there.
    schemathesis.graphql.scalar("JSON", _json_value())
    schemathesis.graphql.scalar(
        "Upload", st.one_of(st.text(max_size=40).map(nodes.String), st.just(nodes.Null))
    )


def fuzz_schema() -> Any:
    """The schemathesis schema of the real Strawberry schema (its SDL, as published)."""
    _register_scalars()
    return schemathesis.graphql.from_file(graphql_schema.as_str())


class LogTrap(logging.Handler):
    """Every record at ERROR or above that carries a traceback, from any logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.stack_info:
            with self._lock_records:
                self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._lock_records:
            taken, self.records = self.records, []
        return taken

    @contextmanager
    def installed(self) -> Iterator[LogTrap]:
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)


def _server_errors(response: httpx.Response, logged: list[logging.LogRecord]) -> list[str]:
    problems: list[str] = []
    if response.status_code >= 500:
        problems.append(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
        problems.append(f"the body is not JSON (HTTP {response.status_code})")
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or ():
        message = str(error.get("message", ""))
        code = (error.get("extensions") or {}).get("code")
        if message == MASKED_ERROR_MESSAGE or code in INTERNAL_CODES:
            problems.append(f"internal error at {error.get('path')}")
        elif message.startswith(NON_NULL_VIOLATION):
            problems.append(f"non-null field resolved to null: {message}")
    for record in logged:
        problems.append(f"ERROR log with traceback on {record.name}: {record.getMessage()}")
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            problems.append(f"  {type(exc).__name__}: {exc}")
    return problems


def _any_json() -> st.SearchStrategy[Any]:
    """Any JSON value: what a client may put where a variable of another type belongs."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**64), max_value=2**64)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=10), children, max_size=3)
        ),
        max_leaves=6,
    )


_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": st.text(max_size=60),
    "ID": st.text(max_size=40) | st.integers(),
    "Int": st.integers(min_value=-(2**31), max_value=2**31 - 1)
    | st.sampled_from([0, -1, 2**31, -(2**31) - 1, 2**53 + 1]),
    "Float": st.floats(),
    "Boolean": st.booleans(),
    "Date": st.dates().map(str) | st.text(max_size=12),
    "DateTime": st.datetimes().map(lambda value: value.isoformat()) | st.text(max_size=30),
}


def _variable_value(type_: graphql.GraphQLInputType, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly a value of ``type_`` (as JSON), at times a value of any other type."""
    typed = _typed_value(type_, depth)
    return st.integers(min_value=0, max_value=9).flatmap(
        lambda pick: _any_json() if pick == 0 else typed
    )


def _typed_value(type_: graphql.GraphQLInputType, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, graphql.GraphQLNonNull):
        return _typed_value(type_.of_type, depth)
    if isinstance(type_, graphql.GraphQLList):
        item = _variable_value(type_.of_type, depth + 1)
        return st.lists(item, max_size=3) | item  # a single value coerces to a list
    if isinstance(type_, graphql.GraphQLEnumType):
        return st.sampled_from(sorted(type_.values)) | st.text(max_size=10)
    if isinstance(type_, graphql.GraphQLInputObjectType):
        if depth > 3:
            return st.just({})
        fields = type_.fields
        required = {
            name: _variable_value(f.type, depth + 1)
            for name, f in fields.items()
            if graphql.is_required_input_field(f)
        }
        optional = {
            name: _variable_value(f.type, depth + 1)
            for name, f in fields.items()
            if not graphql.is_required_input_field(f)
        }
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(type_, graphql.GraphQLScalarType)
    return _SCALARS.get(type_.name, _any_json())  # JSON, Upload: anything


@dataclass(frozen=True)
class VariablesOperation:
    """One root field called with a variable for each of its arguments."""

    label: str
    document: str
    variables: st.SearchStrategy[dict[str, Any]]


def variables_operations(fuzzed: Any) -> list[VariablesOperation]:
    """For every root field with arguments: ``query($a: T!) { field(a: $a) { __typename } }``
    and a strategy for its variables (see ``_variable_value``): the coercion of variables,
    which schemathesis (it writes arguments inline) does not reach."""
    operations = []
    schema = fuzzed.client_schema
    for keyword, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, root_field in (root.fields if root else {}).items():
            if not root_field.args:
                continue
            declared = ", ".join(f"${arg}: {a.type}" for arg, a in root_field.args.items())
            passed = ", ".join(f"{arg}: ${arg}" for arg in root_field.args)
            named = graphql.get_named_type(root_field.type)
            selection = " { __typename }" if graphql.is_composite_type(named) else ""
            operations.append(
                VariablesOperation(
                    label=f"{root.name}.{name}(variables)",
                    document=f"{keyword} Fuzz({declared}) {{ {name}({passed}){selection} }}",
                    variables=st.fixed_dictionaries(
                        {arg: _variable_value(a.type) for arg, a in root_field.args.items()}
                    ),
                )
            )
    return operations


@dataclass
class FuzzRun:
    """One identity's run over every root field."""

    api: ApiClient
    loop: asyncio.AbstractEventLoop
    trap: LogTrap
    identity: str
    headers: Callable[[str], Mapping[str, str]] = field(default=lambda label: {})
    max_examples: int = 10
    variables_examples: int = 5
    failures: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def send(self, label: str, body: dict[str, Any]) -> httpx.Response:
        coroutine = self.api.http.post("/graphql", json=body, headers=dict(self.headers(label)))
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def check(self, label: str, body: dict[str, Any]) -> None:
        """Send one request; an AssertionError describing it if the app failed."""
        self.trap.take()
        try:
            response = self.send(label, body)
        except Exception as exc:  # the app let an exception escape: a 500 under uvicorn
            raise AssertionError(
                f"[{self.identity}] {label}: the app raised {exc!r}\nrequest: {body}"
            ) from exc
        self.calls += 1
        problems = _server_errors(response, self.trap.take())
        if problems:
            raise AssertionError(
                f"[{self.identity}] {label}: "
                + "; ".join(problems)
                + f"\nrequest: {body}\nresponse: {response.text[:800]}"
            )

    def _run(self, label: str, strategy: st.SearchStrategy[dict[str, Any]], examples: int) -> None:
        @given(body=strategy)
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        def check(body: dict[str, Any]) -> None:
            self.check(label, body)

        started = time.monotonic()
        try:
            check()
        except AssertionError as exc:
            self.failures[label] = str(exc)
        self.seconds[label] = time.monotonic() - started

    def fuzz_operation(self, operation: Any) -> None:
        """Schemathesis's cases of one root field (arguments written inline)."""
        cases = operation.as_strategy().map(lambda case: {"query": case.body})
        self._run(operation.label, cases, self.max_examples)

    def fuzz_variables(self, operation: VariablesOperation) -> None:
        self._run(
            operation.label,
            operation.variables.map(
                lambda values: {"query": operation.document, "variables": values}
            ),
            self.variables_examples,
        )

    def fuzz_all(self, operations: list[Any], with_variables: list[VariablesOperation]) -> None:
        """Every operation in turn (in a worker thread: requests go to ``self.loop``)."""
        for operation in operations:
            self.fuzz_operation(operation)
        for variables_operation in with_variables:
            self.fuzz_variables(variables_operation)


def all_operations(fuzzed: Any) -> list[Any]:
    return [result.ok() for result in fuzzed.get_all_operations()]
