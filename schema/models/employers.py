"""Employers (用人单位) and their batch checks of certificates.

An ``Employer`` is the organisation an EMPLOYER account acts for (its operator, 经办人, is
the account: a real name, an ID number and a mobile like every account). Several operators of
one organisation have an account each, all naming the same credit code.

A ``VerificationBatch`` is one employer account's batch check: the submitted lines (each a
certificate number with a holder name, or a QR text), answered by a worker under a lease like
document batches, into one signed report kept in the blob store.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from schema.models.accounts import Account
from schema.models.documents import BatchStatus


class Employer(Model):
    """The organisation of one employer account (统一社会信用代码 checked by GB 32100)."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "models.Account", related_name="employer", on_delete=fields.RESTRICT
    )
    account_id: int
    organisation_name = fields.CharField(max_length=100)
    credit_code = fields.CharField(max_length=18, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "employer"


class VerificationBatch(Model):
    """An employer's batch check (a queued job): the lines in, the signed report out."""

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    account_id = fields.IntField(db_index=True)
    organisation_name = fields.CharField(max_length=100)
    credit_code = fields.CharField(max_length=18)
    # Each line as submitted: {"n": line number, "number": …, "name": …} or {"n", "qr": …}.
    lines: fields.JSONField[list[dict[str, Any]]] = fields.JSONField()
    as_of = fields.DateField(null=True)
    status = fields.CharEnumField(BatchStatus, max_length=16, default=BatchStatus.QUEUED)
    total = fields.IntField()
    done_count = fields.IntField(default=0)
    # Lines per state once done (BatchLineState value → count).
    summary: fields.JSONField[dict[str, int] | None] = fields.JSONField(null=True)
    report_sha256 = fields.CharField(max_length=64, null=True)
    report_size = fields.IntField(null=True)
    report_kid = fields.CharField(max_length=64, null=True)
    error: str | None = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    lease_owner = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "verification_batch"
