"""Typed user errors in mutation payloads, and the one handler that makes them.

Each mutation returns a union ``<Name>Payload = <Name>Success | UserErrors``. Resolvers
hold no try/except: Strawberry's ExceptionHandler turns any DomainError raised below a
field whose union contains ``UserErrors`` into that member.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension

from schema.errors import DomainError

__all__ = [
    "DomainErrorHandler",
    "ErrorCodeExtension",
    "UserError",
    "UserErrors",
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
