"""Domain errors: every refusal the core makes, each with a stable code and a Chinese message.

Hierarchy::

    DomainError                     code, message (Chinese), field (camelCase input path or None)
    ├── InvalidInput                one or more field problems (``problems``); rule violations
    ├── NotAuthenticated            no valid session
    ├── Forbidden                   the actor's role or authority does not allow this
    ├── NotFound                    the record does not exist *for this actor*
    ├── Conflict                    a uniqueness rule (duplicate account, duplicate certificate)
    ├── InvalidState                the record's state does not allow the action
    └── RateLimited                 too many attempts

Only ``graphql_api`` turns these into payload unions; the core never imports GraphQL.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "InvalidState",
    "NotAuthenticated",
    "NotFound",
    "Problem",
    "RateLimited",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: what the client shows next to a field."""

    code: str
    message: str
    field: str | None = None
    ref: str | None = None  # the record the problem points to (e.g. the existing duplicate)


class DomainError(Exception):
    """Base class: a refusal the applicant or staff member can act on."""

    default_code = "DOMAIN_ERROR"
    default_message = "操作未能完成"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        field: str | None = None,
        ref: str | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message or self.default_message
        self.field = field
        self.ref = ref
        super().__init__(self.message)

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.code, self.message, self.field, self.ref)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r})"


class InvalidInput(DomainError):
    default_code = "INVALID_INPUT"
    default_message = "输入信息有误，请检查后重新提交"

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InvalidInput needs at least one problem")
        first = problems[0]
        super().__init__(first.message, code=first.code, field=first.field)
        self._problems = list(problems)

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)

    @classmethod
    def one(cls, code: str, message: str, field: str | None = None) -> InvalidInput:
        return cls([Problem(code, message, field)])


class NotAuthenticated(DomainError):
    default_code = "UNAUTHENTICATED"
    default_message = "请先登录"


class Forbidden(DomainError):
    default_code = "FORBIDDEN"
    default_message = "您没有执行此操作的权限"


class NotFound(DomainError):
    default_code = "NOT_FOUND"
    default_message = "记录不存在"


class Conflict(DomainError):
    default_code = "CONFLICT"
    default_message = "记录已存在"


class InvalidState(DomainError):
    default_code = "INVALID_STATE"
    default_message = "当前状态不允许此操作"


class RateLimited(DomainError):
    default_code = "RATE_LIMITED"
    default_message = "尝试次数过多，请稍后再试"
