"""Accounts (实名制), sessions and login throttles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from schema.enums import Role, SmsPurpose

if TYPE_CHECKING:
    from schema.models.certificates import Certificate, CorrectionRequest
    from schema.models.registrations import Registration


class Account(Model):
    """A real-name account. The ID number is never stored in clear.

    ``id_number_hmac`` (keyed HMAC-SHA256) answers "is this ID registered?" and enforces
    one account per person, and ``id_number_cipher`` (AES-256-GCM) lets the owner see it.
    Nor is the mobile number: it is sealed the same way (``mobile_hmac`` finds accounts by
    mobile), see schema.services.account_pii. The birth date is not stored at all: it is
    read from the sealed ID number when needed.
    """

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    id_number_hmac = fields.CharField(max_length=64, unique=True)
    id_number_cipher = fields.TextField()
    id_number_masked = fields.CharField(max_length=18)
    mobile_cipher = fields.TextField(db_default="")
    mobile_hmac = fields.CharField(max_length=64, db_index=True, db_default="")
    mobile_masked = fields.CharField(max_length=11, db_default="")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.APPLICANT)
    # Reviewers are bound to exactly one approving authority (its reference code).
    authority_code = fields.CharField(max_length=32, null=True)
    is_active = fields.BooleanField(default=True)
    # Unused since 0007 (the account lock became a progressive delay, see LoginBackoff).
    # The columns stay until a migration drops them: bulk inserts still fill them.
    failed_login_count = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)
    # Staff second factor (TOTP, schema/totp.py): the secret sealed with AES-256-GCM, set
    # when enrolment begins and trusted once confirmed (totp_enabled_at), the last time-step
    # accepted (a code is never accepted twice), and the one-time enrolment ticket's digest.
    totp_secret_cipher: str | None = fields.TextField(null=True)
    totp_enabled_at = fields.DatetimeField(null=True)
    totp_last_step = fields.BigIntField(default=0, db_default=0)
    totp_enrolment_hash = fields.CharField(max_length=64, null=True)
    totp_enrolment_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    # Reverse relations, filled by Tortoise from the foreign keys that point here.
    sessions: fields.ReverseRelation[Session]
    registrations: fields.ReverseRelation[Registration]
    certificates: fields.ReverseRelation[Certificate]
    corrections: fields.ReverseRelation[CorrectionRequest]

    class Meta:
        table = "account"


class Session(Model):
    """A login session. Only the SHA-256 of the opaque token is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    csrf_hash = fields.CharField(max_length=64)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: int
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    client_ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "session"


class LoginThrottle(Model):
    """Fixed-window counters per key (failed logins, lookups): see schema.services.throttle."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=100, unique=True)
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    blocked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttle"


class OneTimeCode(Model):
    """A one-time SMS code, stored as keyed HMACs only.

    Neither the code nor the mobile is stored in clear (schema.services.otp): both are keyed HMACs (the PII lookup key), so a database dump alone does not
    let anyone try the million codes offline."""

    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(SmsPurpose, max_length=16)
    mobile_hmac = fields.CharField(max_length=64)
    code_hash = fields.CharField(max_length=64)
    client_ip = fields.CharField(max_length=64, null=True)
    # Whether the code was sent (a reset or login code for a mobile without an account is
    # recorded the same way, so the answer reveals nothing, but never sent).
    delivered = fields.BooleanField(default=True, db_default=True)
    attempts = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_code"
        indexes = (("mobile_hmac", "purpose", "created_at"),)


class LoginBackoff(Model):
    """Recent failed logins of one account or one client address (a delay, never a lock).

    When the next attempt may be made grows with the failures: schema.services.login_backoff.
    """

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=100, unique=True)
    failures = fields.IntField(default=0, db_default=0)
    last_failure_at = fields.DatetimeField()
    retry_at = fields.DatetimeField()

    class Meta:
        table = "login_backoff"
