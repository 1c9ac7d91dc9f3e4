"""The trusted key list: the trust root and the signed list at ``/.well-known/ecert-keys.jwt``
(``crypto.key_list``; ``docs/verification-format.md`` §13).

**Trust root.** One Ed25519 key pair, created once (``ecert keys init-trust-root``; ``make
run`` in development), its private key encrypted under the signing passphrase exactly like a
signing key's. Verifiers pin its public key (``/.well-known/ecert-trust-root.jwk``, ``ecert
keys trust-root``), so it is never replaced here.

**Publication.** The signing keys' public columns are read on every request (one small query)
and the signed document is cached per process with those rows: creating, rotating, retiring or
revoking a key changes them, so the next request signs a new list (bound: 0 s). Otherwise a
document is re-signed once it is older than :data:`REFRESH_AFTER`, so a fetched list is good
for most of its :data:`KEY_LIST_VALIDITY`.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tortoise.transactions import in_transaction

from crypto import KeyPassphraseError, KeyRecordError, KeyWindow, SigningKeyRecord, generate_key
from crypto import unlock as unlock_key
from crypto.key_list import TrustRoot, sign_key_list
from crypto.keys import PublicKeyInfo
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidState, NotFound
from schema.models import SigningKey, TrustRootKey
from schema.services.audit import write_audit
from schema.services.signing_keys import check_passphrase

__all__ = [
    "KEY_LIST_VALIDITY",
    "REFRESH_AFTER",
    "ensure_development_trust_root",
    "init_trust_root",
    "published_key_list",
    "trust_root",
]

#: How long a signed key list may be relied on (its ``exp``); verifiers refresh before that.
KEY_LIST_VALIDITY = timedelta(days=7)
#: A cached document older than this is signed again on the next request.
REFRESH_AFTER = timedelta(days=1)


def _missing() -> NotFound:
    return NotFound(
        "尚未生成密钥列表信任根（ecert keys init-trust-root）", code="TRUST_ROOT_MISSING"
    )


def _record(row: TrustRootKey) -> SigningKeyRecord:
    # The signing keys' record type: the same encryption, checks and unlocking.
    return SigningKeyRecord(
        kid=row.kid,
        public_key=bytes(row.public_key),
        encrypted_private_key=bytes(row.encrypted_private_key),
        window=KeyWindow(not_before=row.created_at),
    )


async def trust_root() -> TrustRoot:
    """The public trust root; NotFound (``TRUST_ROOT_MISSING``) before it is created."""
    row = await TrustRootKey.all().order_by("id").first()
    if row is None:
        raise _missing()
    return TrustRoot(kid=row.kid, public_key=bytes(row.public_key))


async def init_trust_root(*, actor: Actor, passphrase: bytes, now: datetime) -> TrustRootKey:
    """Create the trust root. Refused when one exists (``TRUST_ROOT_EXISTS``: verifiers have
    pinned it) and, as for a new signing key, with a passphrase that does not open the keys
    that sign now (``SIGNING_PASSPHRASE_WRONG``)."""
    if actor.role not in (Role.SIGNER, Role.ADMIN):
        raise Forbidden("只有签章管理员可以管理签名密钥")
    await check_passphrase(passphrase=passphrase, now=now)
    record = generate_key(passphrase=passphrase, now=now, rand=os.urandom)
    async with in_transaction() as conn:
        if await TrustRootKey.all().using_db(conn).exists():
            raise InvalidState(
                "密钥列表信任根已存在：核验方已固定其公钥，不能另建", code="TRUST_ROOT_EXISTS"
            )
        row = await TrustRootKey.create(
            kid=record.kid,
            public_key=record.public_key,
            encrypted_private_key=record.encrypted_private_key,
            created_at=now,
            using_db=conn,
        )
        await write_audit(
            actor=actor,
            action=AuditAction.TRUST_ROOT_CREATED,
            entity_type="trust_root_key",
            entity_id=row.kid,
            now=now,
            after={"kid": row.kid},
            using_db=conn,
        )
    return row


async def ensure_development_trust_root(*, passphrase: bytes, now: datetime) -> str | None:
    """`make run`: create the trust root when there is none. Returns the new kid."""
    if await TrustRootKey.all().exists():
        return None
    system = Actor(account_id=None, public_id="system", name="系统", role=Role.SIGNER)
    return (await init_trust_root(actor=system, passphrase=passphrase, now=now)).kid


@dataclass(frozen=True)
class _Signed:
    issued_at: datetime
    jws: str


_SIGNED: dict[tuple[Any, ...], _Signed] = {}
_UNLOCKED: dict[str, Ed25519PrivateKey] = {}


async def _private_key(row: TrustRootKey, passphrase: bytes) -> Ed25519PrivateKey:
    key = _UNLOCKED.get(row.kid)
    if key is None:
        try:
            key = await asyncio.to_thread(unlock_key, _record(row), passphrase)
        except (KeyPassphraseError, KeyRecordError):
            raise InvalidState(
                "密钥列表信任根无法解锁（口令配置有误），请联系签章管理员",
                code="TRUST_ROOT_LOCKED",
            ) from None
        _UNLOCKED[row.kid] = key
    return key


async def published_key_list(*, passphrase: bytes, public_base_url: str, now: datetime) -> str:
    """The key list as of ``now`` (compact JWS signed by the trust root). Raises NotFound
    (``TRUST_ROOT_MISSING``) before the trust root exists."""
    root = await TrustRootKey.all().order_by("id").first()
    if root is None:
        raise _missing()
    rows = tuple(
        (kid, bytes(pk), nb, ret, rev)
        for kid, pk, nb, ret, rev in await SigningKey.all()
        .order_by("not_before", "id")
        .values_list("kid", "public_key", "not_before", "retired_at", "revoked_at")
    )
    parts = urlsplit(public_base_url.strip())
    issuer = f"{parts.scheme}://{parts.netloc}".lower()
    key = (issuer, root.kid, rows)
    cached = _SIGNED.get(key)
    if cached is not None and cached.issued_at <= now < cached.issued_at + REFRESH_AFTER:
        return cached.jws
    issued_at = now.replace(microsecond=0)
    infos = [
        PublicKeyInfo(
            kid=kid,
            public_key=public_key,
            window=KeyWindow(not_before=not_before, retired_at=retired_at, revoked_at=revoked_at),
        )
        for kid, public_key, not_before, retired_at, revoked_at in rows
    ]
    jws = sign_key_list(
        issuer=issuer,
        keys=infos,
        issued_at=issued_at,
        valid_for=KEY_LIST_VALIDITY,
        private_key=await _private_key(root, passphrase),
    )
    _SIGNED.clear()  # one issuer and one root per process: keep only the newest document
    _SIGNED[key] = _Signed(issued_at, jws)
    return jws
