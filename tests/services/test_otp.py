"""One-time SMS codes: stored only as keyed hashes, single use, few attempts, short life,
a resend cooldown and daily caps; the answer never tells whether a mobile has an account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.enums import SmsPurpose
from schema.errors import InvalidState, RateLimited
from schema.models import AuditRecord, OneTimeCode
from schema.services import accounts, otp
from schema.sms import DisabledSmsProvider
from tests.support.factories import NOW, make_applicant, request_code, sent_code

MOBILE = "13812341234"
REGISTER = SmsPurpose.REGISTER


async def _consume(deps, code: str, *, purpose=REGISTER, mobile=MOBILE, now=NOW) -> bool:
    return await otp.consume_code(pii=deps.pii, mobile=mobile, purpose=purpose, code=code, now=now)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_is_six_digits_stored_only_as_keyed_hashes(db, deps):
    code = await request_code(deps, MOBILE)
    assert len(code) == 6 and code.isdigit()
    row = await OneTimeCode.get()
    assert code not in row.code_hash and MOBILE not in row.mobile_hmac
    assert (row.purpose, row.expires_at - row.created_at) == (REGISTER, otp.CODE_TTL)
    assert row.mobile_hmac == deps.pii.mobile_lookup_hash(MOBILE)


async def test_a_code_is_single_use(db, deps):
    code = await request_code(deps, MOBILE)
    assert await _consume(deps, code)
    assert not await _consume(deps, code)


async def test_a_code_serves_only_its_purpose_and_mobile(db, deps):
    code = await request_code(deps, MOBILE)
    assert not await _consume(deps, code, purpose=SmsPurpose.LOGIN)
    assert not await _consume(deps, code, mobile="13912345678")
    assert await _consume(deps, code)


async def test_a_code_expires(db, deps):
    code = await request_code(deps, MOBILE)
    assert not await _consume(deps, code, now=NOW + otp.CODE_TTL)


async def test_a_code_dies_after_its_wrong_attempts(db, deps):
    code = await request_code(deps, MOBILE)
    for _ in range(otp.MAX_ATTEMPTS):
        assert not await _consume(deps, _other(code))
    assert not await _consume(deps, code)  # the right code comes too late
    assert (await OneTimeCode.get()).attempts == otp.MAX_ATTEMPTS


async def test_only_the_newest_code_counts(db, deps):
    first = await request_code(deps, MOBILE)
    second = await request_code(deps, MOBILE, now=NOW + otp.RESEND_COOLDOWN)
    later = NOW + otp.RESEND_COOLDOWN
    if first != second:
        assert not await _consume(deps, first, now=later)
    assert await _consume(deps, second, now=later)


async def test_resend_cooldown(db, deps):
    await request_code(deps, MOBILE)
    with pytest.raises(RateLimited) as caught:
        await request_code(deps, MOBILE, now=NOW + otp.RESEND_COOLDOWN - timedelta(seconds=1))
    assert (caught.value.code, caught.value.message) == (
        "SMS_CODE_TOO_SOON",
        "验证码发送过于频繁，请1秒后再获取",
    )
    assert await request_code(deps, MOBILE, now=NOW + otp.RESEND_COOLDOWN)


async def test_daily_cap_per_mobile(db, deps):
    now = NOW
    for _ in range(otp.PER_MOBILE_DAILY):
        await request_code(deps, MOBILE, now=now)
        now += otp.RESEND_COOLDOWN
    with pytest.raises(RateLimited) as caught:
        await request_code(deps, MOBILE, now=now)
    assert caught.value.code == "SMS_DAILY_LIMIT"
    assert await OneTimeCode.all().count() == otp.PER_MOBILE_DAILY
    assert await request_code(deps, "13912345678", now=now)  # another mobile is not affected


async def test_daily_cap_per_address(db, deps):
    for n in range(otp.PER_ADDRESS_DAILY):
        await request_code(deps, f"139{n:08d}", client_ip="192.0.2.9")
    with pytest.raises(RateLimited) as caught:
        await request_code(deps, MOBILE, client_ip="192.0.2.9")
    assert caught.value.code == "SMS_DAILY_LIMIT"
    assert await request_code(deps, MOBILE, client_ip="192.0.2.10")


async def test_no_enumeration_a_reset_code_answers_alike_with_or_without_account(db, deps):
    """The request for a mobile with no account is recorded and limited like any other, and
    answers the same; only the message is not sent."""
    await make_applicant(deps, mobile=MOBILE)
    outbox = deps.sms.outbox
    before = len(outbox)
    for mobile in (MOBILE, "13912345678"):
        await accounts.request_sms_code(
            pii=deps.pii,
            sms=deps.sms,
            mobile=mobile,
            purpose=SmsPurpose.RESET_PASSWORD,
            client_ip="192.0.2.1",
            now=NOW,
        )
    assert [m.mobile for m in list(outbox)[before:]] == [MOBILE]
    rows = await OneTimeCode.filter(purpose=SmsPurpose.RESET_PASSWORD).order_by("id")
    assert [r.delivered for r in rows] == [True, False]
    audits = await AuditRecord.filter(action="account.sms_code_requested").order_by("-id").limit(2)
    assert audits[0].after.keys() == audits[1].after.keys()
    with pytest.raises(RateLimited):  # the cooldown applies to both alike
        await accounts.request_sms_code(
            pii=deps.pii,
            sms=deps.sms,
            mobile="13912345678",
            purpose=SmsPurpose.RESET_PASSWORD,
            client_ip="192.0.2.1",
            now=NOW,
        )


async def test_the_development_provider_writes_the_code_to_the_log_marked(db, deps, caplog):
    with caplog.at_level("INFO", logger="ecert.sms"):
        code = await request_code(deps, MOBILE)
    (record,) = [r for r in caplog.records if r.name == "ecert.sms"]
    assert record.levelname == "INFO"
    assert "DEVELOPMENT SMS (not sent" in record.getMessage()
    assert code in record.getMessage() and MOBILE not in record.getMessage()
    assert sent_code(deps, MOBILE) == code


async def test_without_a_provider_nothing_is_sent_nor_kept(db, deps):
    with pytest.raises(InvalidState) as caught:
        await accounts.request_sms_code(
            pii=deps.pii,
            sms=DisabledSmsProvider(),
            mobile=MOBILE,
            purpose=REGISTER,
            client_ip="192.0.2.1",
            now=NOW,
        )
    assert caught.value.code == "SMS_UNAVAILABLE"
    assert await OneTimeCode.all().count() == 0  # and no cooldown or quota was spent
    assert await request_code(deps, MOBILE)
