"""Signing keys: create, rotate, retire, revoke — and the signer used at issuance.

Private keys are stored only encrypted under the configured passphrase. Unlocking costs a
deliberate ~0.1 s (scrypt), so a process keeps the unlocked key in memory (`Signer`).

A passphrase that does not open the keys that can sign is refused before anything changes
(``SIGNING_PASSPHRASE_WRONG``): creating or rotating with it would leave a key only the
wrong passphrase opens, and rotation would retire the good key. ``Signer.readiness`` tells
the service (startup log, ``/readyz``) whether it can sign; verification never needs it.
"""

from __future__ import annotations

import asyncio
import enum
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tortoise.transactions import in_transaction

from crypto import (
    CertificateClaims,
    KeyPassphraseError,
    KeyRecordError,
    KeyRing,
    KeyWindow,
    NoActiveKeyError,
    PublicKeyInfo,
    SigningKeyRecord,
    generate_key,
    jwks,
    sign_claims,
    unlock,
)
from schema.actor import Actor
from schema.enums import AuditAction, Role
from schema.errors import Forbidden, InvalidInput, InvalidState, NotFound
from schema.models import BatchStatus, Certificate, CertificateStatus, KeyReissueJob, SigningKey
from schema.services.audit import write_audit
from schema.services.keys import get_by_key

__all__ = [
    "Signer",
    "SigningReadiness",
    "affected_certificates",
    "check_passphrase",
    "create_key",
    "ensure_development_key",
    "key_records",
    "list_keys",
    "published_jwks",
    "published_jwks_body",
    "published_keys",
    "queue_reissue",
    "retire_key",
    "revoke_key",
    "rotate_key",
]


def _record(row: SigningKey) -> SigningKeyRecord:
    return SigningKeyRecord(
        kid=row.kid,
        public_key=bytes(row.public_key),
        encrypted_private_key=bytes(row.encrypted_private_key),
        window=KeyWindow(
            not_before=row.not_before, retired_at=row.retired_at, revoked_at=row.revoked_at
        ),
    )


def _require_signer(actor: Actor) -> None:
    if actor.role not in (Role.SIGNER, Role.ADMIN):
        raise Forbidden("只有签章管理员可以管理签名密钥")


async def key_records() -> list[SigningKeyRecord]:
    return [_record(row) for row in await SigningKey.all().order_by("not_before", "id")]


async def list_keys(*, actor: Actor) -> list[SigningKey]:
    _require_signer(actor)
    return list(await SigningKey.all().order_by("not_before", "id"))


async def affected_certificates(
    *, actor: Actor, kid: str, since: datetime | None = None
) -> list[Certificate]:
    """Certificate versions ``kid`` signed at or after ``since`` (default: its revocation
    instant) — the ones a revocation stops verifying, which need a new signed version."""
    _require_signer(actor)
    key = await get_by_key(SigningKey, kid=kid)
    if key is None:
        raise NotFound("签名密钥不存在", code="KEY_NOT_FOUND", field="kid")
    since = since or key.revoked_at
    query = Certificate.filter(kid=kid)
    if since is not None:
        query = query.filter(signed_at__gte=since)
    return list(await query.order_by("signed_at", "id"))


async def _public_rows() -> tuple[tuple[Any, ...], ...]:
    """Every key's public columns (never the encrypted private key), oldest first."""
    rows = (
        await SigningKey.all()
        .order_by("not_before", "id")
        .values_list("kid", "public_key", "not_before", "retired_at", "revoked_at")
    )
    return tuple((kid, bytes(pk), nb, ret, rev) for kid, pk, nb, ret, rev in rows)


def _jwks_of(rows: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
    return jwks(
        PublicKeyInfo(
            kid=kid,
            public_key=public_key,
            window=KeyWindow(not_before=not_before, retired_at=retired_at, revoked_at=revoked_at),
        )
        for kid, public_key, not_before, retired_at, revoked_at in rows
    )


async def published_keys() -> list[PublicKeyInfo]:
    """Every key's public half and window, oldest first (the DID document lists them)."""
    return [
        PublicKeyInfo(
            kid=kid,
            public_key=public_key,
            window=KeyWindow(not_before=not_before, retired_at=retired_at, revoked_at=revoked_at),
        )
        for kid, public_key, not_before, retired_at, revoked_at in await _public_rows()
    ]


async def published_jwks() -> dict[str, Any]:
    """The public JWK Set with every key's window (for /.well-known/jwks.json)."""
    return _jwks_of(await _public_rows())


#: The serialised JWK Set by the key rows it was built from (one entry: the keys change
#: rarely, and a change of any window is a different key, so it is never stale).
_JWKS_BODY: dict[tuple[tuple[Any, ...], ...], bytes] = {}


async def published_jwks_body() -> bytes:
    """``published_jwks()`` as JSON bytes. The key rows are read on every call (one small
    query of the public columns), so a retirement or revocation is published at once; only
    the building and serialising of the document is cached until the rows change."""
    rows = await _public_rows()
    body = _JWKS_BODY.get(rows)
    if body is None:
        body = orjson.dumps(_jwks_of(rows))
        _JWKS_BODY.clear()
        _JWKS_BODY[rows] = body
    return body


async def _insert(
    record: SigningKeyRecord, *, actor: Actor, now: datetime, conn: Any
) -> SigningKey:
    row = await SigningKey.create(
        kid=record.kid,
        public_key=record.public_key,
        encrypted_private_key=record.encrypted_private_key,
        not_before=record.window.not_before,
        created_at=now,
        using_db=conn,
    )
    await write_audit(
        actor=actor,
        action=AuditAction.SIGNING_KEY_CREATED,
        entity_type="signing_key",
        entity_id=row.kid,
        now=now,
        after={"kid": row.kid, "notBefore": row.not_before.isoformat()},
        using_db=conn,
    )
    return row


def _passphrase_wrong() -> InvalidState:
    return InvalidState(
        "签名口令与现有签名密钥不符，未作任何更改；请检查签名口令配置（ECERT_SIGNING_PASSPHRASE）",
        code="SIGNING_PASSPHRASE_WRONG",
    )


def _opens(record: SigningKeyRecord, passphrase: bytes) -> bool:
    try:
        unlock(record, passphrase)
    except (KeyPassphraseError, KeyRecordError):
        return False
    return True


async def check_passphrase(*, passphrase: bytes, now: datetime) -> None:
    """Refuse (``SIGNING_PASSPHRASE_WRONG``) a passphrase that does not open every key that
    can sign at ``now``. With no such key (a first key, or after retiring the keys of a lost
    passphrase) any passphrase is accepted."""
    open_keys = [r for r in await key_records() if r.window.covers(now)]
    for record in open_keys:
        if not await asyncio.to_thread(_opens, record, passphrase):
            raise _passphrase_wrong()


async def create_key(*, actor: Actor, passphrase: bytes, now: datetime) -> SigningKey:
    """A new key, signing from ``now`` (being newest, it signs from then on)."""
    _require_signer(actor)
    await check_passphrase(passphrase=passphrase, now=now)
    record = generate_key(passphrase=passphrase, now=now, rand=os.urandom)
    async with in_transaction() as conn:
        return await _insert(record, actor=actor, now=now, conn=conn)


async def _locked(kid: str, conn: Any) -> SigningKey:
    row = await get_by_key(SigningKey.select_for_update().using_db(conn), kid=kid)
    if row is None:
        raise NotFound("签名密钥不存在", code="KEY_NOT_FOUND", field="kid")
    return row


async def retire_key(*, actor: Actor, kid: str, now: datetime) -> SigningKey:
    """Stop signing with the key; what it signed before keeps verifying."""
    _require_signer(actor)
    async with in_transaction() as conn:
        row = await _locked(kid, conn)
        if row.retired_at is not None or row.revoked_at is not None:
            raise InvalidState("该密钥已停用或已吊销", code="KEY_NOT_ACTIVE")
        row.retired_at = now.replace(microsecond=0)
        await row.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.SIGNING_KEY_RETIRED,
            entity_type="signing_key",
            entity_id=kid,
            now=now,
            after={"retiredAt": row.retired_at.isoformat()},
            using_db=conn,
        )
    return row


async def rotate_key(*, actor: Actor, passphrase: bytes, now: datetime) -> SigningKey:
    """Create a new key and retire every other open key, in one transaction. Refused before
    anything changes when the passphrase does not open the keys that sign now: the retired
    key would be replaced by one the service cannot use."""
    _require_signer(actor)
    await check_passphrase(passphrase=passphrase, now=now)
    record = generate_key(passphrase=passphrase, now=now, rand=os.urandom)
    async with in_transaction() as conn:
        open_rows = await SigningKey.filter(retired_at=None, revoked_at=None).using_db(conn)
        new_row = await _insert(record, actor=actor, now=now, conn=conn)
        for row in open_rows:
            row.retired_at = now.replace(microsecond=0)
            await row.save(using_db=conn)
            await write_audit(
                actor=actor,
                action=AuditAction.SIGNING_KEY_RETIRED,
                entity_type="signing_key",
                entity_id=row.kid,
                now=now,
                after={"rotatedTo": new_row.kid},
                using_db=conn,
            )
    return new_row


async def revoke_key(
    *,
    actor: Actor,
    kid: str,
    effective_at: datetime,
    note: str,
    now: datetime,
    reissue: bool = False,
) -> SigningKey:
    """Compromised key: signatures made at or after ``effective_at`` stop verifying;
    earlier ones still do. The date may be in the past (when the compromise began).

    With ``reissue`` the same transaction queues a ``KeyReissueJob``: a worker re-signs
    every current version the key signed from ``effective_at`` on under the key that signs
    now (``schema.services.key_reissue``). Another key must be able to sign now: without
    one the revocation is refused (``REISSUE_NO_SIGNING_KEY``) before anything changes, so
    the operator creates or rotates a key first (its passphrase is checked there)."""
    _require_signer(actor)
    if not note.strip():
        raise InvalidInput.one("KEY_REVOCATION_NOTE", "请填写吊销原因", "note")
    if effective_at > now:
        raise InvalidInput.one(
            "KEY_REVOCATION_FUTURE", "吊销生效时间不能晚于当前时间", "effectiveAt"
        )
    async with in_transaction() as conn:
        row = await _locked(kid, conn)
        if row.revoked_at is not None:
            raise InvalidState("该密钥已吊销", code="KEY_ALREADY_REVOKED")
        if reissue:
            await _require_other_key(kid, now)
        row.revoked_at = effective_at.replace(microsecond=0)
        row.revocation_note = note.strip()
        await row.save(using_db=conn)
        await write_audit(
            actor=actor,
            action=AuditAction.SIGNING_KEY_REVOKED,
            entity_type="signing_key",
            entity_id=kid,
            now=now,
            after={"revokedAt": row.revoked_at.isoformat()},
            note=row.revocation_note,
            using_db=conn,
        )
        if reissue:
            await _queue_reissue(row, actor=actor, now=now, conn=conn)
    return row


async def _require_other_key(kid: str, now: datetime) -> None:
    if not any(r.kid != kid and r.window.covers(now) for r in await key_records()):
        raise InvalidState(
            "没有其他可用的签名密钥，无法重新签发证书；"
            "请先生成新密钥（ecert keys rotate 或 ecert keys create）",
            code="REISSUE_NO_SIGNING_KEY",
        )


async def queue_reissue(*, actor: Actor, kid: str, now: datetime) -> KeyReissueJob:
    """A new re-issue job for a key revoked earlier (without ``reissue``, before this
    existed, or after a job failed and its cause was fixed). Refused while another job of
    the key is unfinished (``KEY_REISSUE_PENDING``) and, as at revocation, without another
    key that can sign now."""
    _require_signer(actor)
    async with in_transaction() as conn:
        row = await _locked(kid, conn)
        if row.revoked_at is None:
            raise InvalidState("该密钥未吊销，无需重新签发", code="KEY_NOT_REVOKED")
        await _require_other_key(kid, now)
        unfinished = (
            await KeyReissueJob.filter(
                kid=kid, status__in=(BatchStatus.QUEUED, BatchStatus.RUNNING)
            )
            .using_db(conn)
            .exists()
        )
        if unfinished:
            raise InvalidState("该密钥已有进行中的重新签发任务", code="KEY_REISSUE_PENDING")
        return await _queue_reissue(row, actor=actor, now=now, conn=conn)


async def _queue_reissue(
    row: SigningKey, *, actor: Actor, now: datetime, conn: Any
) -> KeyReissueJob:
    """The re-issue job of a key just revoked (inside the revocation's transaction)."""
    assert row.revoked_at is not None
    total = (
        await Certificate.filter(
            kid=row.kid, signed_at__gte=row.revoked_at, status=CertificateStatus.VALID
        )
        .using_db(conn)
        .count()
    )
    job = await KeyReissueJob.create(
        public_id=secrets.token_hex(12),
        kid=row.kid,
        since=row.revoked_at,
        requested_by_id=actor.account_id,
        status=BatchStatus.QUEUED,
        total=total,
        created_at=now,
        using_db=conn,
    )
    await write_audit(
        actor=actor,
        action=AuditAction.KEY_REISSUE_QUEUED,
        entity_type="key_reissue_job",
        entity_id=job.public_id,
        now=now,
        after={"kid": row.kid, "since": row.revoked_at.isoformat(), "total": total},
        using_db=conn,
    )
    return job


async def ensure_development_key(*, passphrase: bytes, now: datetime) -> str | None:
    """`make run`: create a signing key when none can sign now. Returns the new kid."""
    ring = KeyRing(await key_records())
    try:
        ring.signing_key(now)
        return None
    except NoActiveKeyError:
        pass
    system = Actor(account_id=None, public_id="system", name="系统", role=Role.SIGNER)
    row = await create_key(actor=system, passphrase=passphrase, now=now)
    return row.kid


class SigningReadiness(enum.StrEnum):
    """Whether this process can sign now (``/readyz``'s ``signingKey``)."""

    OK = "ok"  # the key that signs now opens with the configured passphrase
    NO_KEY = "no-key"  # no key can sign: issuance refuses NO_SIGNING_KEY until one is made
    LOCKED = "locked"  # the passphrase does not open the key that signs: a misconfiguration


@dataclass
class _Unlocked:
    kid: str
    private_key: Ed25519PrivateKey


class Signer:
    """Signs certificate claims with the newest key open at signing time.

    The unlocked private key is cached per kid for the life of the process; a key that is
    retired or revoked is never chosen because the ring is re-read at every signature.
    """

    def __init__(self, passphrase: bytes) -> None:
        self._passphrase = passphrase
        self._cache: dict[str, _Unlocked] = {}
        self._locked: set[str] = set()  # kids the passphrase did not open (it never changes)

    async def readiness(self, now: datetime) -> tuple[SigningReadiness, str | None]:
        """Can the key that signs at ``now`` be opened? (and its kid). One query; the ~0.1 s
        unlock runs once per key and process, off the event loop, and its answer is kept."""
        try:
            record = KeyRing(await key_records()).signing_key(now)
        except NoActiveKeyError:
            return SigningReadiness.NO_KEY, None
        if record.kid in self._cache:
            return SigningReadiness.OK, record.kid
        if record.kid in self._locked:
            return SigningReadiness.LOCKED, record.kid
        try:
            key = await asyncio.to_thread(unlock, record, self._passphrase)
        except (KeyPassphraseError, KeyRecordError):
            self._locked.add(record.kid)
            return SigningReadiness.LOCKED, record.kid
        self._cache.setdefault(record.kid, _Unlocked(record.kid, key))
        return SigningReadiness.OK, record.kid

    def __repr__(self) -> str:
        return f"Signer(cached={sorted(self._cache)})"

    async def sign(self, claims: CertificateClaims) -> tuple[str, bytes]:
        kid, sign = await self.signing_function(claims.signed_at)
        return kid, sign(claims)

    async def signing_function(
        self, signed_at: datetime
    ) -> tuple[str, Callable[[CertificateClaims], bytes]]:
        """The key that signs at ``signed_at`` and a plain function signing with it — one
        key-ring read for many signatures (bulk issuance signs a whole chunk with it)."""
        kid, private_key = await self.private_key(signed_at)
        return kid, lambda claims: sign_claims(claims, private_key, kid)

    async def private_key(self, signed_at: datetime) -> tuple[str, Ed25519PrivateKey]:
        """The key that signs at ``signed_at`` (its kid and unlocked private key): for other
        signed documents of the service, such as the status lists."""
        records = {r.kid: r for r in await key_records()}
        try:
            record = KeyRing(records.values()).signing_key(signed_at)
        except NoActiveKeyError:
            raise InvalidState(
                "当前没有可用的签名密钥，无法生成电子证书，请联系签章管理员", code="NO_SIGNING_KEY"
            ) from None
        unlocked = self._cache.get(record.kid)
        if unlocked is None:
            try:
                unlocked = _Unlocked(record.kid, unlock(record, self._passphrase))
            except KeyPassphraseError:
                raise InvalidState(
                    "签名密钥无法解锁（口令配置有误），请联系签章管理员", code="SIGNING_KEY_LOCKED"
                ) from None
            self._cache[record.kid] = unlocked
        return record.kid, unlocked.private_key
