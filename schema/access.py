"""Access policy: who may act on which record. Every use case asks here, never inline.

Two gates, each refusing with one message and one stable code:

* the reviewer gate — an administrator, or a reviewer bound to an approval authority; for a
  given record, only a reviewer of *that record's* authority (administrators: any);
* the holder gate — a professional (申请人) acting on their own records, matched by the
  holder's id-number HMAC (a record loaded in bulk names its holder before any account
  exists, so the HMAC, not an account id, is what identifies the holder).

A role that does not fit is ``Forbidden`` (code ``FORBIDDEN``). A record that exists but
is not the actor's is refused exactly like a missing one: the caller passes the
``NotFound`` it raises for a missing record, so the answer never discloses that someone
else's record exists.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from schema.actor import Actor
from schema.enums import Role
from schema.errors import Forbidden, NotFound
from schema.models import Account

__all__ = [
    "HOLDER_ONLY",
    "REVIEWER_ONLY",
    "holder_account",
    "is_holder_of",
    "is_reviewer_of",
    "require_holder",
    "require_holder_of",
    "require_reviewer",
    "require_reviewer_of",
]

REVIEWER_ONLY = "只有审批机关审核人员可以进行此操作"
HOLDER_ONLY = "只有专业技术人员本人可以进行此操作"


class _OfAuthority(Protocol):
    @property
    def authority_code(self) -> str | None: ...


class _Held(Protocol):
    @property
    def holder_id_hmac(self) -> str: ...


_A = TypeVar("_A", bound=_OfAuthority)
_H = TypeVar("_H", bound=_Held)


def require_reviewer(actor: Actor) -> Actor:
    """The actor, if it is an administrator or a reviewer bound to an authority."""
    if actor.role is Role.ADMIN or (actor.role is Role.REVIEWER and actor.authority_code):
        return actor
    raise Forbidden(REVIEWER_ONLY)


def is_reviewer_of(actor: Actor, authority_code: str | None) -> bool:
    """Whether the actor reviews records of ``authority_code`` (administrators: every one)."""
    if actor.role is Role.ADMIN:
        return True
    return (
        actor.role is Role.REVIEWER
        and actor.authority_code is not None
        and actor.authority_code == authority_code
    )


def require_reviewer_of(actor: Actor, record: _A | None, *, missing: NotFound) -> _A:
    """``record``, if the actor reviews its authority; a missing record or another
    authority's raises ``missing`` (the same answer for both)."""
    require_reviewer(actor)
    if record is None or not is_reviewer_of(actor, record.authority_code):
        raise missing
    return record


def require_holder(actor: Actor) -> Actor:
    """The actor, if it is a professional's own account (not staff, not the system)."""
    if actor.account_id is None or actor.role is not Role.APPLICANT:
        raise Forbidden(HOLDER_ONLY)
    return actor


async def holder_account(actor: Actor) -> Account:
    """The holder's account (its id-number HMAC identifies the holder's records)."""
    require_holder(actor)
    return await Account.get(id=actor.account_id)


def is_holder_of(holder: Account, record: _Held) -> bool:
    return record.holder_id_hmac == holder.id_number_hmac


def require_holder_of(holder: Account, record: _H | None, *, missing: NotFound) -> _H:
    """``record``, if it is the holder's own; a missing record or another holder's raises
    ``missing`` (the same answer for both)."""
    if record is None or not is_holder_of(holder, record):
        raise missing
    return record
