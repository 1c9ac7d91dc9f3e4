"""The edge's gates: an authenticated actor, of the given roles, and (for a mutation over a
cookie session) a valid CSRF token. Whether an actor reviews an authority or holds a record
is the domain's policy (``schema.access``): a reviewer's or holder's resolver composes both,
``require_reviewer(require(info))``."""

from __future__ import annotations

from strawberry.types import Info as _Info

from schema.actor import Actor
from schema.enums import Role
from schema.errors import Forbidden, NotAuthenticated

__all__ = ["require", "require_mutation_actor"]


def require(info: _Info, *roles: Role) -> Actor:
    """The authenticated actor, if it holds one of ``roles`` (any role when none given)."""
    actor = info.context.actor
    if actor is None:
        raise NotAuthenticated()
    if roles and actor.role not in roles:
        raise Forbidden()
    return actor


def require_mutation_actor(info: _Info, *roles: Role) -> Actor:
    """As :func:`require`, and a cookie session must prove it is not a cross-site request."""
    actor = require(info, *roles)
    auth = info.context.auth
    if auth.method == "cookie" and not auth.csrf_ok:
        raise Forbidden("请求缺少有效的CSRF令牌", code="CSRF_FAILED")
    return actor
