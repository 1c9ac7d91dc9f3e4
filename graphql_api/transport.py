"""GraphQL over HTTP for Starlette, following the GraphQL-over-HTTP specification.

Strawberry's own views do not follow the specification on status codes and media types,
so this small endpoint calls ``schema.execute`` itself:

* ``POST`` with an ``application/json`` body, or ``GET`` (queries only) with URL parameters.
* ``POST`` as ``multipart/form-data`` per the GraphQL multipart request specification
  (https://github.com/jaydenseric/graphql-multipart-request-spec): an ``operations`` field
  (the JSON request), a ``map`` field (file part → ``variables.…`` paths) and the file
  parts, each put into the variables as a Starlette ``UploadFile`` (the ``Upload``
  scalar's value; spooled to a temporary file past 1 MB). Mutations only, with their own
  size limit, and never as a "simple" cross-site request: multipart is a content type a
  browser sends from any site without a preflight, so the request must carry one of the
  ``upload_preflight_headers`` (``X-CSRF-Token`` or ``Authorization``), which no page of
  another origin can add. (The mutation's own gate then checks that the CSRF token is the
  session's.)
* Content negotiation: ``application/graphql-response+json`` only when the client names
  it in ``Accept``; ``application/json`` when it names that instead, sends ``*/*`` or
  ``application/*``, or sends no ``Accept`` at all; 406 when it accepts neither.
* ``application/graphql-response+json`` responses use HTTP status codes: a *request
  error* (nothing was executed, there is no ``data`` key) is a 400, a response with
  ``data`` is a 200. Legacy ``application/json`` clients always get 200 for well-formed
  requests. Request errors are the client's: parse and validation errors, variable
  coercion errors (``"abc"`` for an ``Int``: :func:`is_input_error`) and the limiters'
  refusals keep their message; only a request error carrying an unexpected (masked)
  error is the server's, a 500.
* An optional per-client request limit answers 429 with ``Retry-After`` before anything
  is read (``request_limit``).
* Every response carries ``extensions.requestId``.

Also home of the schema extensions that belong to the transport's error contract:
:func:`masking_extension` and :func:`limit_extensions`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError, Node, ValueNode, VariableDefinitionNode
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graphql_api.graphiql import DEFAULT_VENDOR_DIR, render_graphiql_page
from graphql_api.private_results import PrivateResult, PrivateResults
from graphql_api.public_results import PublicResult, PublicResults
from graphql_api.query_cost import CostRefusal, cost_limit_rule
from schema.http_edge.accept import Accept

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "MASKED_ERROR_MESSAGE",
    "ContextFactory",
    "RequestLimit",
    "Throttled",
    "graphql_route",
    "is_input_error",
    "limit_extensions",
    "masking_extension",
]

logger = logging.getLogger("ecert.graphql")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_APPLICATION_JSON = "application/json"
_MULTIPART = "multipart/form-data"
#: What clients see instead of an unexpected error's message.
MASKED_ERROR_MESSAGE = "服务器内部错误，请稍后重试"

ContextFactory = Callable[[Request, Response], Awaitable[object]]

_QUERY_ONLY = frozenset({OperationType.QUERY})
_QUERY_AND_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
_MUTATION_ONLY = frozenset({OperationType.MUTATION})
# Headers of the resolvers' response that must not override the ones we compute.
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})


# --------------------------------------------------------------------------- errors


class _MaskingPolicy:
    """Decides which errors clients may read; a factory of ``MaskErrors`` extensions.

    Being a factory (not an instance) follows Strawberry's per-request extension
    lifecycle. The transport also recognises it in ``schema.extensions`` and applies
    it once more to the final result, because errors raised by an extension hook escape
    ``MaskErrors`` (Strawberry turns them into a result after the hooks have unwound).
    """

    def __init__(self, public_exceptions: tuple[type[Exception], ...]) -> None:
        self.public_exceptions = public_exceptions

    def __call__(self) -> MaskErrors:
        extension = MaskErrors(error_message=MASKED_ERROR_MESSAGE)

        def should_mask(error: GraphQLError) -> bool:
            # execution_context is set by Schema.execute before any hook runs.
            context = getattr(getattr(extension, "execution_context", None), "context", None)
            return self.should_mask(error, _request_id_from_context(context))

        extension.should_mask_error = should_mask
        return extension

    def should_mask(self, error: GraphQLError, request_id: str | None) -> bool:
        original = error.original_error
        # No original error: graphql-core's own parse/validation messages; an input error:
        # a variable or literal the schema's types refused (a variable's coercion error
        # wraps another GraphQLError: ``Variable '$x' has invalid value: …``). The client
        # needs both to fix its request. Public domain errors are meant to be read.
        if (
            original is None
            or is_input_error(error)
            or isinstance(original, (GraphQLError, *self.public_exceptions))
        ):
            return False
        logger.error(
            "Masked GraphQL error (request_id=%s, path=%s): %s",
            request_id,
            error.path,
            type(original).__name__,
            exc_info=(type(original), original, original.__traceback__),
        )
        return True

    def mask(self, errors: list[GraphQLError], request_id: str) -> list[GraphQLError]:
        return [
            GraphQLError(
                MASKED_ERROR_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
            )
            if self.should_mask(error, request_id)
            else error
            for error in errors
        ]


def _is_input_node(node: Node) -> bool:
    return isinstance(node, VariableDefinitionNode | ValueNode)


def is_input_error(error: GraphQLError) -> bool:
    """An error in the client's input, made before anything ran: a variable's value (or a
    literal argument) the schema's input types refused, e.g. ``"abc"`` for an ``Int``.

    graphql-core locates such an error at the variable definition or the literal value
    (never at a field, unlike an execution error) and gives it no path; its
    ``original_error`` is the scalar's own refusal (``GraphQLError``, or whatever a custom
    scalar's parser raised), which must not make it look like a server error.
    """
    nodes = error.nodes or []
    return error.path is None and bool(nodes) and all(map(_is_input_node, nodes))


def _request_id_from_context(context: object) -> str | None:
    request = context.get("request") if isinstance(context, Mapping) else None
    request = request or getattr(context, "request", None)
    state = getattr(request, "state", None)
    request_id = getattr(state, "request_id", None)
    return str(request_id) if request_id is not None else None


def masking_extension(
    public_exceptions: tuple[type[Exception], ...] = (),
) -> Callable[[], MaskErrors]:
    """A ``MaskErrors`` factory for ``strawberry.Schema(extensions=[...])``.

    Errors without an ``original_error`` (parse and validation errors) and errors whose
    original is an instance of ``public_exceptions`` reach the client unchanged; every
    other error is replaced by :data:`MASKED_ERROR_MESSAGE` and its exception is logged
    with traceback at ERROR on ``ecert.graphql``, with the request id when the context
    exposes ``request.state.request_id``. Pass the returned factory itself to the schema:
    :func:`graphql_route` finds it there and re-checks the final result, which also
    masks errors that escape ``MaskErrors`` (exceptions from extension hooks).
    """
    return _MaskingPolicy(tuple(public_exceptions))


def _default_cost_refusal(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(f"Query cost {cost} exceeds the limit of {limit}")


def limit_extensions(
    *,
    max_depth: int = 10,
    max_aliases: int = 30,
    max_tokens: int = 2000,
    max_cost: int | None = None,
    cost_refusal: CostRefusal = _default_cost_refusal,
    list_sizes: Mapping[str, int] | None = None,
) -> list[Callable[[], SchemaExtension]]:
    """Factories for the query depth, alias count, token count and (``max_cost``) query cost
    limiters (``graphql_api.query_cost``; ``cost_refusal`` makes its error, ``list_sizes``
    bounds the lists that are not paged).

    Their violations are parse/validation errors, hence HTTP 400 request errors. The
    validation rules are made once, here, and every request's extension adds the very same
    classes: Strawberry's validation cache, keyed by the document and the rules, can keep
    the result (a rule class made per request would never be found in it again).
    """
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if max_cost is not None:
        rules.append(cost_limit_rule(max_cost, cost_refusal, list_sizes=list_sizes))
    return [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
    ]


@dataclass(frozen=True)
class Throttled:
    """A request refused by the per-client request limit: HTTP 429 with ``Retry-After``."""

    retry_after: int
    code: str
    message: str


RequestLimit = Callable[[Request], "Throttled | None"]
"""Asked before each request is read: ``None`` serves it, a ``Throttled`` refuses it."""


# --------------------------------------------------------------------- negotiation


class _RequestError(Exception):
    """Rejects the HTTP request before anything is executed."""

    def __init__(
        self, status_code: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = dict(headers or {})
        self.extensions: dict[str, str] = {}


# How much of an oversized body is kept for the application to say what was too large.
_OVERSIZE_PREFIX_BYTES = 64 * 1024

OversizeExplainer = Callable[[bytes, int], tuple[str, str, str | None]]
"""``(body prefix, limit) -> (code, message, field)`` for a body over its limit: lets the
application answer "the photo is too large" in its own words instead of a bare 413."""


class _BodyTooLarge(_RequestError):
    def __init__(self, limit: int, prefix: bytes = b"") -> None:
        super().__init__(413, f"Request body exceeds {limit} bytes")
        self.limit = limit
        self.prefix = prefix[:_OVERSIZE_PREFIX_BYTES]


def _negotiate(header: str | None) -> str | None:
    """The response media type, or None if the client accepts neither (a 406).

    ``application/graphql-response+json`` only when the client names it (and does not
    prefer ``application/json``); ``application/json`` for no Accept header, ``*/*``,
    ``application/*`` and every other client that accepts it (graphql-http audit 47DE/80D8).
    """
    accept = Accept.parse(header)
    if not accept:
        return _APPLICATION_JSON
    preferred = accept.named(GRAPHQL_RESPONSE_JSON)
    legacy = accept.quality(_APPLICATION_JSON)
    if preferred <= 0 and legacy <= 0:
        return None
    return GRAPHQL_RESPONSE_JSON if preferred >= legacy else _APPLICATION_JSON


def _accepts_html(header: str | None) -> bool:
    # Only an explicit text/html (a browser); "*/*" from curl means "the API, please".
    return Accept.parse(header).named("text/html") > 0


# ------------------------------------------------------------------------- parsing


def _content_type(request: Request) -> tuple[str, list[str]]:
    media, *params = (part.strip() for part in request.headers.get("content-type", "").split(";"))
    return media.lower(), params


def _check_content_type(request: Request) -> None:
    media, params = _content_type(request)
    if media != _APPLICATION_JSON:
        raise _RequestError(415, f"Content-Type must be {_APPLICATION_JSON} or {_MULTIPART}")
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise _RequestError(415, "Only the utf-8 charset is supported")


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _BodyTooLarge(limit)
        except ValueError:
            raise _RequestError(400, "Invalid Content-Length") from None


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        _check_declared_length(request, limit)
    except _BodyTooLarge:
        raise _BodyTooLarge(limit, await _prefix(request)) from None
    # Content-Length may be absent (chunked) or lie: count while reading.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _BodyTooLarge(limit, bytes(body))
    return bytes(body)


async def _prefix(request: Request) -> bytes:
    """The start of a body refused by its declared length (the rest is never read)."""
    head = bytearray()
    async for chunk in request.stream():
        head += chunk
        if len(head) >= _OVERSIZE_PREFIX_BYTES:
            break
    return bytes(head)


def _load_json(raw: str | bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _RequestError(400, f"{what} is not valid JSON") from None


@dataclass(frozen=True, slots=True)
class _Params:
    """The GraphQL request parameters, validated per the specification."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None

    @classmethod
    def validate(
        cls,
        query: object,
        variables: object = None,
        operation_name: object = None,
        extensions: object = None,
    ) -> _Params:
        if not isinstance(query, str):
            raise _RequestError(400, "The 'query' parameter must be a string")
        if variables is not None and not isinstance(variables, dict):
            raise _RequestError(400, "The 'variables' parameter must be an object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _RequestError(400, "The 'operationName' parameter must be a string")
        if extensions is not None and not isinstance(extensions, dict):
            raise _RequestError(400, "The 'extensions' parameter must be an object")
        return cls(query, variables, operation_name, extensions)


async def _post_params(request: Request, max_body_bytes: int) -> _Params:
    _check_content_type(request)
    payload = _load_json(await _read_body(request, max_body_bytes), "The request body")
    if isinstance(payload, list):
        raise _RequestError(400, "Batched requests are not supported")
    if not isinstance(payload, dict):
        raise _RequestError(400, "The request body must be a JSON object")
    if "query" not in payload:
        raise _RequestError(400, "The 'query' parameter is required")
    return _Params.validate(
        payload["query"],
        payload.get("variables"),
        payload.get("operationName"),
        payload.get("extensions"),
    )


@dataclass(frozen=True, slots=True)
class _UploadLimits:
    max_upload_bytes: int
    max_fields_bytes: int
    max_files: int
    preflight_headers: tuple[str, ...]


def _limited_request(request: Request, limit: int) -> Request:
    """``request`` whose body stream raises a 413 once more than ``limit`` bytes arrived
    (Content-Length may be absent or lie; the parser spools files without a bound). The
    caller has checked the declared length."""
    received = 0
    head = bytearray()
    upstream = request.receive

    async def receive() -> Any:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            received += len(chunk)
            if len(head) < _OVERSIZE_PREFIX_BYTES:
                head.extend(chunk[: _OVERSIZE_PREFIX_BYTES - len(head)])
            if received > limit:
                raise _BodyTooLarge(limit, bytes(head))
        return message

    return Request(request.scope, receive)


@asynccontextmanager
async def _multipart_form(request: Request, limits: _UploadLimits) -> AsyncIterator[FormData]:
    """The parsed form; its spooled files are closed when the block ends."""
    if not any(request.headers.get(name) for name in limits.preflight_headers):
        names = " or ".join(limits.preflight_headers)
        raise _RequestError(400, f"Multipart requests must carry a {names} header")
    try:
        _check_declared_length(request, limits.max_upload_bytes)
    except _BodyTooLarge:
        # The multipart spec puts ``operations`` first: its start says what was sent.
        raise _BodyTooLarge(limits.max_upload_bytes, await _prefix(request)) from None
    limited = _limited_request(request, limits.max_upload_bytes)
    try:
        form = await limited.form(
            max_files=limits.max_files,
            max_fields=8,
            max_part_size=limits.max_fields_bytes,
        )
    except (MultiPartException, HTTPException) as exc:
        detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise _RequestError(400, f"Invalid multipart request: {detail}") from None
    except ClientDisconnect:
        raise _RequestError(400, "The client disconnected during the upload") from None
    try:
        yield form
    finally:
        await form.close()


def _form_json(form: FormData, name: str) -> Any:
    raw = form.get(name)
    if not isinstance(raw, str):
        raise _RequestError(400, f"The multipart field '{name}' is required")
    return _load_json(raw, f"The multipart field '{name}'")


def _place_upload(variables: dict[str, Any], path: object, upload: UploadFile) -> None:
    """Put ``upload`` where ``path`` (``variables.input.file``, ``variables.files.0``) points;
    the spec's placeholder there is ``null``."""
    keys = path.split(".") if isinstance(path, str) else []
    if len(keys) < 2 or keys[0] != "variables":
        raise _RequestError(400, f"Invalid file path in 'map': {path!r} (expected variables.…)")
    target: Any = variables
    for position, key in enumerate(keys[1:], start=2):
        last = position == len(keys)
        if isinstance(target, dict) and key in target:
            if last:
                if target[key] is not None:
                    break
                target[key] = upload
                return
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            if last:
                if target[int(key)] is not None:
                    break
                target[int(key)] = upload
                return
            target = target[int(key)]
        else:
            break
    raise _RequestError(400, f"The path {path!r} in 'map' does not name a null variable")


def _multipart_params(form: FormData) -> _Params:
    operations = _form_json(form, "operations")
    if isinstance(operations, list):
        raise _RequestError(400, "Batched requests are not supported")
    if not isinstance(operations, dict):
        raise _RequestError(400, "The 'operations' field must be a JSON object")
    if "query" not in operations:
        raise _RequestError(400, "The 'query' parameter is required")
    file_map = _form_json(form, "map")
    if not isinstance(file_map, dict) or not all(
        isinstance(paths, list) and paths for paths in file_map.values()
    ):
        raise _RequestError(400, "The 'map' field must map each file part to a list of paths")
    variables = operations.get("variables")
    if variables is None and file_map:
        raise _RequestError(400, "The 'map' field names variables the operation does not have")
    if variables is not None and not isinstance(variables, dict):
        raise _RequestError(400, "The 'variables' parameter must be an object")
    files = {key: value for key, value in form.multi_items() if isinstance(value, UploadFile)}
    for part, paths in file_map.items():
        assert variables is not None  # a map naming files with no variables is refused above
        upload = files.get(part)
        if upload is None:
            raise _RequestError(400, f"The file part {part!r} named in 'map' is missing")
        for path in paths:
            _place_upload(variables, path, upload)
    return _Params.validate(
        operations["query"],
        variables,
        operations.get("operationName"),
        operations.get("extensions"),
    )


def _get_params(request: Request) -> _Params:
    params = request.query_params
    if "query" not in params:
        raise _RequestError(400, "The 'query' parameter is required")

    def json_param(name: str) -> object:
        raw = params.get(name)
        return None if raw in (None, "") else _load_json(raw, f"The '{name}' parameter")

    return _Params.validate(
        params["query"],
        json_param("variables"),
        params.get("operationName") or None,
        json_param("extensions"),
    )


# ------------------------------------------------------------------------ response


def _is_request_error(result: ExecutionResult) -> bool:
    """True if the operation never started executing (spec: a "request error").

    graphql-core's parse, validation and variable-coercion errors, Strawberry's limiter
    rejections and pre-execution failures carry no ``path``; every field error raised
    during execution does (masking keeps it). ``data`` is None in the first case and may
    also be None after a non-null field error bubbled up to the root — the path tells.
    """
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def _json_response(
    body: dict[str, Any],
    status_code: int,
    media_type: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        content,
        status_code=status_code,
        headers={**(headers or {}), "Content-Type": f"{media_type}; charset=utf-8"},
    )


def _error_response(
    status_code: int,
    message: str,
    request_id: str,
    media_type: str,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"message": message}
    if extensions:
        error["extensions"] = dict(extensions)
    body = {"errors": [error], "extensions": {"requestId": request_id}}
    return _json_response(body, status_code, media_type, headers)


def _kept_response(kept: PublicResult | PrivateResult, request_id: str, media_type: str) -> Response:
    """A kept answer, byte for byte what ``_json_response`` makes of it."""
    content = b"".join(
        (
            b'{"data":',
            kept.data_json,
            b',"extensions":{"requestId":',
            json.dumps(request_id).encode("utf-8"),
            b"}}",
        )
    )
    response = Response(
        content, status_code=200, headers={"Content-Type": f"{media_type}; charset=utf-8"}
    )
    response.raw_headers.extend(kept.headers)
    return response


def _request_id(request: Request) -> str:
    request_id = getattr(request.state, "request_id", None)
    if request_id is None:
        request_id = uuid.uuid4().hex
        # Stored so that the masking logger and resolvers see the same id.
        request.state.request_id = request_id
    return str(request_id)


def _masking_policies(schema: strawberry.Schema) -> list[_MaskingPolicy]:
    extensions: Iterable[object] = getattr(schema, "extensions", ())
    return [ext for ext in extensions if isinstance(ext, _MaskingPolicy)]


# ------------------------------------------------------------------------ endpoint


def graphql_route(
    schema: strawberry.Schema,
    *,
    path: str = "/graphql",
    context_factory: ContextFactory,
    graphiql: bool,
    vendor_url: str = "/static/vendor",
    vendor_dir: Path = DEFAULT_VENDOR_DIR,
    max_body_bytes: int = 1_000_000,
    max_upload_bytes: int = 200_000_000,
    max_upload_files: int = 10,
    upload_preflight_headers: tuple[str, ...] = ("X-CSRF-Token", "Authorization"),
    explain_oversize: OversizeExplainer | None = None,
    request_limit: RequestLimit | None = None,
    public_results: PublicResults | None = None,
    private_results: PrivateResults | None = None,
) -> Route:
    """A Starlette route serving ``schema`` per the GraphQL-over-HTTP specification.

    ``context_factory(request, response)`` builds each request's context; headers and
    cookies resolvers set on ``response`` are copied to the HTTP response. With
    ``graphiql=True`` a browser GET without ``query`` gets the GraphiQL page, whose
    assets are served from ``vendor_url`` (see ``graphql_api.graphiql``).

    A JSON body may have ``max_body_bytes``; a multipart upload (mutations only)
    ``max_upload_bytes`` in all, at most ``max_upload_files`` files, its ``operations`` and
    ``map`` fields ``max_body_bytes`` each, and must carry one of
    ``upload_preflight_headers`` (see the module docstring). A body over its limit is
    answered 413; ``explain_oversize`` gives that error its message and ``extensions.code``.

    ``request_limit`` is asked first, before the body is read: a ``Throttled`` answer is a
    429 with ``Retry-After`` and the refusal's message and ``extensions.code``.

    ``public_results`` keeps complete answers whose context was marked public
    (``context.public_revision``, see ``graphql_api.public_results``) and answers the same
    request again from it, before the context is built, while the revision holds.
    ``private_results`` keeps an account's answers whose resolver marked the context with a
    ``PrivateAnswer`` (see ``graphql_api.private_results``) and answers the same request of
    the same account again from it, after authenticating it and reading the answer's data
    again and finding it unchanged.

    A request error (nothing ran) made by the client — a syntax, validation or variable
    coercion error, a limiter's refusal — is logged at INFO without its message (which may
    quote the input); one that carries a masked (unexpected) error is the server's fault:
    HTTP 500, logged at ERROR with its traceback by the masking policy.
    """
    policies = _masking_policies(schema)
    upload_limits = _UploadLimits(
        max_upload_bytes=max_upload_bytes,
        max_fields_bytes=max_body_bytes,
        max_files=max_upload_files,
        preflight_headers=tuple(upload_preflight_headers),
    )

    async def execute(
        request: Request, params: _Params, media_type: str, *, multipart: bool = False
    ) -> Response:
        request_id = _request_id(request)
        request_key = None
        if (public_results is not None or private_results is not None) and not multipart:
            request_key = PublicResults.key(
                request.method, params.query, params.operation_name, params.variables
            )
        if public_results is not None:
            kept = await public_results.lookup(request_key)
            if kept is not None:
                return _kept_response(kept, request_id, media_type)
        sub_response = Response()
        context = await context_factory(request, sub_response)
        private_key = None
        actor = getattr(context, "actor", None)
        if private_results is not None and request_key is not None and actor is not None:
            private_key = (request_key, actor.account_id)
            kept_private = await private_results.lookup(
                private_key, getattr(context, "catalog", None)
            )
            if kept_private is not None:
                return _kept_response(kept_private, request_id, media_type)
        if multipart:
            allowed = _MUTATION_ONLY
        else:
            allowed = _QUERY_ONLY if request.method == "GET" else _QUERY_AND_MUTATION
        try:
            result = await schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as exc:
            if multipart:
                raise _RequestError(400, "Multipart requests may only carry mutations") from None
            if request.method == "GET":
                raise _RequestError(
                    405, exc.as_http_error_reason("GET"), {"Allow": "POST"}
                ) from None
            result = ExecutionResult(
                data=None, errors=[GraphQLError(exc.as_http_error_reason(request.method))]
            )
        except CannotGetOperationTypeError as exc:
            result = ExecutionResult(data=None, errors=[GraphQLError(exc.as_http_error_reason())])
        except MissingQueryError as exc:
            result = ExecutionResult(data=None, errors=[GraphQLError(str(exc))])
        if not isinstance(result, ExecutionResult):
            # Incremental delivery (@defer/@stream) is not offered by this transport.
            raise TypeError(f"unsupported execution result {type(result).__name__}")

        errors = list(result.errors or [])
        for policy in policies:
            errors = policy.mask(errors, request_id)
        request_error = _is_request_error(result)
        server_fault = request_error and any(
            error.message == MASKED_ERROR_MESSAGE for error in errors
        )
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = [error.formatted for error in errors]
        if not request_error:
            body["data"] = result.data
        body["extensions"] = {**(result.extensions or {}), "requestId": request_id}
        legacy = media_type == _APPLICATION_JSON
        if server_fault:
            status_code = 500
        elif request_error:
            logger.info(
                "GraphQL request error (request_id=%s): %d error(s)", request_id, len(errors)
            )
            status_code = 200 if legacy else 400
        else:
            status_code = 200
        response = _json_response(body, status_code, media_type)
        extra_headers = [
            (key, value) for key, value in sub_response.raw_headers if key not in _BODY_HEADERS
        ]
        response.raw_headers.extend(extra_headers)
        complete = not errors and not result.extensions
        revision = getattr(context, "public_revision", None)
        if public_results is not None and revision is not None and complete:
            public_results.keep(request_key, revision, result.data, extra_headers)
        answer = getattr(context, "private_answer", None)
        # Never with headers of its own: a cookie set for one response is not replayed.
        if private_results is not None and private_key and answer and complete and not extra_headers:
            private_results.keep(
                private_key, answer, getattr(context, "catalog", None), result.data, extra_headers
            )
        return response

    async def handle(request: Request, media_type: str | None) -> Response:
        if request.method not in ("GET", "POST"):
            raise _RequestError(405, "Use GET or POST", {"Allow": "GET, POST"})
        accept = request.headers.get("accept")
        if (
            request.method == "GET"
            and "query" not in request.query_params
            and _accepts_html(accept)
        ):
            if not graphiql:
                raise _RequestError(404, "Not Found")
            return render_graphiql_page(vendor_url, vendor_dir)
        if media_type is None:
            raise _RequestError(406, f"Accept {GRAPHQL_RESPONSE_JSON} or {_APPLICATION_JSON}")
        multipart = _content_type(request)[0] == _MULTIPART
        if request.method == "GET":
            if multipart:
                raise _RequestError(405, "Multipart requests must use POST", {"Allow": "POST"})
            params = _get_params(request)
        elif multipart:
            async with _multipart_form(request, upload_limits) as form:
                params = _multipart_params(form)
                return await execute(request, params, media_type, multipart=True)
        else:
            params = await _post_params(request, max_body_bytes)
        return await execute(request, params, media_type)

    async def endpoint(request: Request) -> Response:
        media_type = _negotiate(request.headers.get("accept"))
        throttled = request_limit(request) if request_limit is not None else None
        if throttled is not None:
            logger.info(
                "GraphQL request throttled (request_id=%s, retry_after=%ds)",
                _request_id(request),
                throttled.retry_after,
            )
            return _error_response(
                429,
                throttled.message,
                _request_id(request),
                media_type or _APPLICATION_JSON,
                {"Retry-After": str(throttled.retry_after)},
                {"code": throttled.code},
            )
        try:
            return await handle(request, media_type)
        except _RequestError as exc:
            message, extensions = exc.message, exc.extensions
            if isinstance(exc, _BodyTooLarge) and explain_oversize is not None:
                code, message, field = explain_oversize(exc.prefix, exc.limit)
                extensions = {"code": code} | ({"field": field} if field else {})
            return _error_response(
                exc.status_code,
                message,
                _request_id(request),
                media_type or _APPLICATION_JSON,
                exc.headers,
                extensions,
            )
        except Exception:
            request_id = _request_id(request)
            logger.exception("Unhandled error in GraphQL endpoint (request_id=%s)", request_id)
            return _error_response(
                500, MASKED_ERROR_MESSAGE, request_id, media_type or _APPLICATION_JSON
            )

    # Given an ASGI app object rather than a function, Route accepts every method, so the
    # endpoint itself answers the others with the specification's 405 and Allow header.
    return Route(path, _AnyMethodApp(endpoint), name="graphql")


class _AnyMethodApp:
    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._app = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
