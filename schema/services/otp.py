"""One-time SMS codes: issue (with cooldown and daily caps) and check (single use).

A code is 6 digits from ``secrets``, valid ``CODE_TTL``, for one purpose and one mobile.
Only the newest code of a mobile and purpose counts; it allows ``MAX_ATTEMPTS`` wrong tries
and is consumed by the first right one. Neither the code nor the mobile is stored: the row
keeps keyed HMACs (``PiiProtector.lookup_hash``), the code's bound to its purpose and mobile.

Limits (DB-backed ``FixedWindowCounter``s, shared by every process): one code per mobile and
purpose per ``RESEND_COOLDOWN``; at most ``PER_MOBILE_DAILY`` codes per mobile and ``PER_ADDRESS_DAILY``
per client address a day. The caller decides whether the code is actually sent (``deliver``):
a row, the limits and the answer are the same either way, so the answer never tells whether
a mobile has an account.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from schema.enums import AuditAction, SmsPurpose
from schema.errors import InvalidState, RateLimited
from schema.models import OneTimeCode
from schema.pii import PiiProtector
from schema.rules import mask_mobile
from schema.services.audit import write_audit
from schema.services.throttle import FixedWindowCounter, minutes_left
from schema.sms import SmsProvider, SmsUnavailable

__all__ = [
    "CODE_TTL",
    "MAX_ATTEMPTS",
    "PER_ADDRESS_DAILY",
    "PER_MOBILE_DAILY",
    "RESEND_COOLDOWN",
    "consume_code",
    "issue_code",
    "mobile_lookup",
]

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_COOLDOWN = timedelta(seconds=60)
PER_MOBILE_DAILY = 10
PER_ADDRESS_DAILY = 50
_DAY = timedelta(days=1)

COOLDOWN = FixedWindowCounter("otp-cooldown:", limit=1, window=RESEND_COOLDOWN)
MOBILE_DAILY = FixedWindowCounter("otp-mobile:", limit=PER_MOBILE_DAILY, window=_DAY)
ADDRESS_DAILY = FixedWindowCounter("otp-address:", limit=PER_ADDRESS_DAILY, window=_DAY)

_TEXT = {
    SmsPurpose.REGISTER: "您正在注册职称电子证书账户",
    SmsPurpose.RESET_PASSWORD: "您正在找回职称电子证书账户密码",
    SmsPurpose.LOGIN: "您正在登录职称电子证书账户",
}


def mobile_lookup(pii: PiiProtector, mobile: str) -> str:
    """The keyed lookup hash of a normalised 11-digit mobile."""
    return pii.mobile_lookup_hash(mobile)


def _code_hash(pii: PiiProtector, purpose: SmsPurpose, mobile_hmac: str, code: str) -> str:
    return pii.lookup_hash(f"otp:{purpose.value}:{mobile_hmac}:{code}")


def _message(purpose: SmsPurpose, code: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (
        f"【职称电子证书】验证码{code}，{_TEXT[purpose]}，{minutes}分钟内有效。"
        "工作人员不会向您索要验证码，请勿告诉他人。"
    )


async def issue_code(
    *,
    pii: PiiProtector,
    sms: SmsProvider,
    mobile: str,
    purpose: SmsPurpose,
    client_ip: str,
    deliver: bool,
    now: datetime,
) -> None:
    """Make a new code for ``mobile`` (normalised) and, if ``deliver``, send it.

    One transaction: the limits, the row and the audit record; the message is sent inside it,
    so a message that could not be sent leaves nothing behind (and costs no quota)."""
    lookup = mobile_lookup(pii, mobile)
    code = f"{secrets.randbelow(1_000_000):06d}"
    try:
        async with in_transaction() as conn:
            wait = await COOLDOWN.hit(f"{lookup}:{purpose.value}", now=now, using_db=conn)
            if wait.refused and wait.blocked_until is not None:
                seconds = max(1, int((wait.blocked_until - now).total_seconds() + 0.999))
                raise RateLimited(
                    f"验证码发送过于频繁，请{seconds}秒后再获取", code="SMS_CODE_TOO_SOON"
                )
            for counter in (MOBILE_DAILY, ADDRESS_DAILY):
                subject = lookup if counter is MOBILE_DAILY else client_ip[:64]
                hit = await counter.hit(subject, now=now, using_db=conn)
                if hit.refused and hit.blocked_until is not None:
                    raise RateLimited(
                        "今日获取验证码次数已达上限，请"
                        f"{_hours_left(hit.blocked_until, now)}小时后再试",
                        code="SMS_DAILY_LIMIT",
                    )
            row = await OneTimeCode.create(
                purpose=purpose,
                mobile_hmac=lookup,
                code_hash=_code_hash(pii, purpose, lookup, code),
                client_ip=client_ip[:64],
                delivered=deliver,
                attempts=0,
                created_at=now,
                expires_at=now + CODE_TTL,
                using_db=conn,
            )
            # The audit record is the same whether or not the code is sent (deliver is kept
            # on the row, which only the operator reads).
            await write_audit(
                actor=None,
                action=AuditAction.SMS_CODE_REQUESTED,
                entity_type="one_time_code",
                entity_id=row.id,
                now=now,
                after={
                    "purpose": purpose.value,
                    "mobile": mask_mobile(mobile),
                    "clientIp": client_ip[:64],
                },
                using_db=conn,
            )
            if deliver:
                await sms.send(mobile, _message(purpose, code))
    except SmsUnavailable:
        raise InvalidState(
            "短信服务暂不可用，无法发送验证码，请稍后再试或到审批机关窗口办理",
            code="SMS_UNAVAILABLE",
        ) from None


def _hours_left(until: datetime, now: datetime) -> int:
    return max(1, (minutes_left(until, now) + 59) // 60)


async def consume_code(
    *, pii: PiiProtector, mobile: str, purpose: SmsPurpose, code: str, now: datetime
) -> bool:
    """Whether ``code`` is the valid newest code of ``mobile`` for ``purpose``; a right code is
    consumed, a wrong one counts an attempt. Commits on its own, so that an attempt stays
    counted whatever the caller does next."""
    code = code.strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        code = ""  # still counts as an attempt against the newest code
    lookup = mobile_lookup(pii, mobile)
    async with in_transaction() as conn:
        row = (
            await OneTimeCode.select_for_update()
            .using_db(conn)
            .filter(mobile_hmac=lookup, purpose=purpose)
            .order_by("-id")
            .first()
        )
        if (
            row is None
            or row.consumed_at is not None
            or row.expires_at <= now
            or row.attempts >= MAX_ATTEMPTS
        ):
            return False
        expected = row.code_hash
        given = _code_hash(pii, purpose, lookup, code) if code else ""
        if code and secrets.compare_digest(expected, given):
            row.consumed_at = now
            await row.save(using_db=conn, update_fields=["consumed_at"])
            return True
        row.attempts += 1
        await row.save(using_db=conn, update_fields=["attempts"])
        return False
