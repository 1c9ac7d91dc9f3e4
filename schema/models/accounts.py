"""Accounts (实名制), sessions and login throttles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from schema.enums import Role

if TYPE_CHECKING:
    from schema.models.certificates import Certificate, CorrectionRequest
    from schema.models.registrations import Registration


class Account(Model):
    """A real-name account. The ID number is never stored in clear.

    ``id_number_hmac`` (keyed HMAC-SHA256) answers "is this ID registered?" and enforces
    one account per person, and ``id_number_cipher`` (AES-256-GCM) lets the owner see it.
    """

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    id_number_hmac = fields.CharField(max_length=64, unique=True)
    id_number_cipher = fields.TextField()
    id_number_masked = fields.CharField(max_length=18)
    birth_date = fields.DateField()
    mobile = fields.CharField(max_length=11)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.APPLICANT)
    # Reviewers are bound to exactly one approving authority (its reference code).
    authority_code = fields.CharField(max_length=32, null=True)
    is_active = fields.BooleanField(default=True)
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
