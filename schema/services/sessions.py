"""Login, session tokens and logout, with throttling per account and per client address.

Tokens are 256-bit random strings handed to the client once; only their SHA-256 is stored.
A failed login is recorded in its own transaction *before* the refusal is raised, so the
counters survive the error.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from schema import rules
from schema.actor import Actor
from schema.enums import AuditAction
from schema.errors import InvalidInput, RateLimited
from schema.models import Account, Session
from schema.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from schema.pii import PiiProtector
from schema.services.audit import write_audit
from schema.services.throttle import FixedWindowCounter, minutes_left

__all__ = [
    "ACCOUNT_LOCK_AFTER",
    "ACCOUNT_LOCK_FOR",
    "IP_BLOCK_AFTER",
    "IP_FAILURES",
    "IP_WINDOW",
    "IssuedSession",
    "authenticate",
    "login",
    "logout",
    "token_digest",
]

ACCOUNT_LOCK_AFTER = 5
ACCOUNT_LOCK_FOR = timedelta(minutes=15)
IP_BLOCK_AFTER = 20  # failed logins per client address …
IP_WINDOW = timedelta(minutes=15)  # … in each fixed window (see schema.services.throttle)
IP_FAILURES = FixedWindowCounter("ip:", limit=IP_BLOCK_AFTER, window=IP_WINDOW)

_BAD_CREDENTIALS = InvalidInput.one("INVALID_CREDENTIALS", "身份证号码或密码错误", "password")


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: datetime
    account: Account


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def _ip_throttle(client_ip: str, now: datetime) -> None:
    blocked_until = await IP_FAILURES.blocked_until(client_ip, now=now)
    if blocked_until is not None:
        raise RateLimited(
            f"该网络地址登录失败次数过多，请{minutes_left(blocked_until, now)}分钟后再试",
            code="LOGIN_RATE_LIMITED",
        )


async def _record_failure(
    *, client_ip: str, account: Account | None, now: datetime
) -> Account | None:
    async with in_transaction() as conn:
        hit = await IP_FAILURES.hit(client_ip, now=now, using_db=conn)
        if account is not None:
            account = await Account.select_for_update().using_db(conn).get(id=account.id)
            account.failed_login_count += 1
            if account.failed_login_count >= ACCOUNT_LOCK_AFTER:
                account.locked_until = now + ACCOUNT_LOCK_FOR
                account.failed_login_count = 0
            await account.save(using_db=conn)
            await write_audit(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                entity_type="account",
                entity_id=account.public_id,
                now=now,
                after={"clientIp": client_ip, "locked": account.locked_until is not None},
                using_db=conn,
            )
        else:
            # No such account (or none named): the address's counter is what changed.
            await write_audit(
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                entity_type="client",
                entity_id=client_ip[:64],
                now=now,
                after={"failures": hit.count, "blocked": hit.blocked_until is not None},
                using_db=conn,
            )
    return account


async def login(
    *,
    pii: PiiProtector,
    id_number: str,
    password: str,
    client_ip: str,
    user_agent: str | None,
    ttl: timedelta,
    now: datetime,
) -> IssuedSession:
    """Check the credentials and open a session; refusals never say which part was wrong."""
    await _ip_throttle(client_ip, now)
    # Only a well-formed number can name an account; anything else (empty, too long, other
    # scripts' characters, which the ASCII lookup hash cannot take) is a wrong credential.
    normalised = rules.normalize_id_number(id_number)
    account = (
        await Account.get_or_none(id_number_hmac=pii.lookup_hash(normalised))
        if rules.is_well_formed_id_number(normalised)
        else None
    )
    if account and account.locked_until and account.locked_until > now:
        raise RateLimited(
            "密码错误次数过多，账户已临时锁定，请"
            f"{minutes_left(account.locked_until, now)}分钟后再试",
            code="ACCOUNT_LOCKED",
        )
    ok = verify_password(account.password_hash if account else DUMMY_HASH, password)
    if not ok or account is None or not account.is_active:
        account = await _record_failure(client_ip=client_ip, account=account, now=now)
        if account is not None and account.locked_until and account.locked_until > now:
            raise RateLimited(
                f"密码错误次数过多，账户已临时锁定{int(ACCOUNT_LOCK_FOR.total_seconds() // 60)}分钟",
                code="ACCOUNT_LOCKED",
            )
        raise _BAD_CREDENTIALS
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        account = await Account.select_for_update().using_db(conn).get(id=account.id)
        account.failed_login_count = 0
        account.locked_until = None
        account.last_login_at = now
        if needs_rehash(account.password_hash):
            account.password_hash = hash_password(password)
        await account.save(using_db=conn)
        session = await Session.create(
            token_hash=token_digest(token),
            csrf_hash=token_digest(csrf_token),
            account=account,
            created_at=now,
            expires_at=now + ttl,
            client_ip=client_ip[:64],
            user_agent=(user_agent or "")[:255] or None,
            using_db=conn,
        )
        await write_audit(
            actor=None,
            action=AuditAction.LOGIN_SUCCEEDED,
            entity_type="account",
            entity_id=account.public_id,
            now=now,
            after={"session": session.id, "clientIp": client_ip},
            using_db=conn,
        )
    return IssuedSession(token, csrf_token, session.expires_at, account)


async def authenticate(token: str, *, now: datetime) -> tuple[Actor, Session] | None:
    """The actor behind a bearer or cookie token, or None if it is unknown/expired/revoked."""
    if not token or len(token) > 200:
        return None
    session = await Session.get_or_none(token_hash=token_digest(token)).select_related("account")
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return None
    account: Account = session.account
    if not account.is_active:
        return None
    actor = Actor(
        account_id=account.id,
        public_id=account.public_id,
        name=account.name,
        role=account.role,
        authority_code=account.authority_code,
        session_id=session.id,
    )
    return actor, session


async def logout(*, actor: Actor, now: datetime) -> None:
    """Revoke the actor's current session."""
    if actor.session_id is None:
        return
    async with in_transaction() as conn:
        await (
            Session.filter(id=actor.session_id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now)
        )
        await write_audit(
            actor=actor,
            action=AuditAction.LOGGED_OUT,
            entity_type="account",
            entity_id=actor.public_id,
            now=now,
            using_db=conn,
        )
