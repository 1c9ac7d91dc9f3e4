"""Typed user errors in mutation payloads, and the one handler that makes them.

Each mutation returns a union ``<Name>Payload = <Name>Success | UserErrors``. Resolvers
hold no try/except: Strawberry's ExceptionHandler turns any DomainError raised below a
field whose union contains ``UserErrors`` into that member.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.errors import DomainError, RateLimited
from schema.photos import photo_too_large

__all__ = [
    "DomainErrorHandler",
    "ErrorCodeExtension",
    "UserError",
    "UserErrors",
    "explain_oversize",
    "query_too_complex",
    "too_many_requests",
    "user_errors",
]


@strawberry.type(description="A refusal the user can act on.")
class UserError:
    code: str = strawberry.field(description="Stable machine code, e.g. ID_NUMBER_CHECKSUM.")
    message: str = strawberry.field(description="Chinese message to show the user.")
    field: list[str] | None = strawberry.field(
        description='Path of the offending input field, e.g. ["input", "idNumber"].'
    )
    ref: str | None = strawberry.field(
        default=None,
        description="Id of the record the error points to (e.g. the existing registration).",
    )


@strawberry.type(description="The mutation was refused; nothing was changed.")
class UserErrors:
    errors: list[UserError]


def user_errors(exc: DomainError) -> UserErrors:
    return UserErrors(
        errors=[
            UserError(
                code=p.code,
                message=p.message,
                field=["input", p.field] if p.field else None,
                ref=p.ref,
            )
            for p in exc.problems
        ]
    )


class DomainErrorHandler(strawberry.ExceptionHandler[DomainError, UserErrors]):
    def handle(self, exception: DomainError, *, field: Any, info: Any) -> UserErrors:
        return user_errors(exception)


class ErrorCodeExtension(SchemaExtension):
    """Adds ``extensions.code`` to GraphQL errors raised by the domain (queries, gates)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        for error in result.errors:
            original = error.original_error
            if isinstance(original, DomainError):
                error.extensions = {**(error.extensions or {}), "code": original.code}


def explain_oversize(prefix: bytes, limit: int) -> tuple[str, str, str | None]:
    """Code, Chinese message and field for a request body over the transport's limit.

    A photo sent as Base64 that is far over the photo limit never reaches the photo rules;
    the applicant still gets their PHOTO_TOO_LARGE (the operation's name is at the start of
    the body, JSON or multipart ``operations``).
    """
    if b"uploadRegistrationPhoto" in prefix:
        refusal = photo_too_large()
        return refusal.code, refusal.message, refusal.field
    megabytes = max(1, limit // 1_000_000)
    oversize = DomainError(f"提交的内容过大，不能超过{megabytes}MB", code="REQUEST_TOO_LARGE")
    return oversize.code, oversize.message, oversize.field


def query_too_complex(cost: int, limit: int) -> GraphQLError:
    """The refusal of an operation over the query cost limit (``graphql_api.query_cost``):
    a request error, answered before anything runs."""
    refusal = DomainError(
        f"查询过于复杂（估算开销{cost}，上限{limit}），请减少查询的字段、别名或每页数量",
        code="QUERY_TOO_COMPLEX",
    )
    return GraphQLError(refusal.message, extensions={"code": refusal.code})


def too_many_requests(retry_after: int) -> tuple[str, str]:
    """Code and Chinese message of a /graphql request over the per-client limit (HTTP 429
    with ``Retry-After``)."""
    refusal = RateLimited(f"请求过于频繁，请{retry_after}秒后再试", code="TOO_MANY_REQUESTS")
    return refusal.code, refusal.message
