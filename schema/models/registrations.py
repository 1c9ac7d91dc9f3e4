"""Certificate registrations (登记证书信息): drafts, submissions, review rounds, 待完善 records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from schema.models.accounts import Account
    from schema.models.certificates import Certificate


from schema.enums import RegistrationSource, RegistrationStatus

__all__ = ["Registration", "RegistrationKey", "RegistrationSource", "RegistrationStatus"]


class Registration(Model):
    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    # The holder: an account when the applicant registered; identified by the keyed hash
    # of the ID number in every case (bulk-loaded records may precede the account).
    applicant: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="registrations", null=True, on_delete=fields.RESTRICT
    )
    applicant_id: int | None
    holder_id_hmac = fields.CharField(max_length=64, db_index=True)
    holder_name = fields.CharField(max_length=50)
    holder_id_masked = fields.CharField(max_length=18, default="")
    status = fields.CharEnumField(RegistrationStatus, max_length=16)
    source = fields.CharEnumField(RegistrationSource, max_length=24, null=True)

    level = fields.CharField(max_length=16, null=True)
    series_code = fields.CharField(max_length=8, null=True)
    title_name = fields.CharField(max_length=64, null=True)
    way_obtained = fields.CharField(max_length=8, null=True)
    specialty = fields.CharField(max_length=64, null=True)
    local_specialty = fields.CharField(max_length=64, null=True)
    approval_document_raw = fields.CharField(max_length=100, null=True)
    approval_document = fields.CharField(max_length=100, null=True)
    obtained_on = fields.DateField(null=True)
    issued_on = fields.DateField(null=True)
    certificate_number = fields.CharField(max_length=32, null=True)
    # 证书为其他编号格式: the holder says the paper number does not start with 0113; the
    # reviewer sees the CERTIFICATE_NUMBER_OTHER_FORMAT warning and checks the paper certificate.
    other_number_format = fields.BooleanField(default=False, db_default=False)
    authority_code = fields.CharField(max_length=32, null=True, db_index=True)
    review_body = fields.CharField(max_length=100, null=True)
    validity_scope = fields.CharField(max_length=16, null=True)
    batch_code = fields.CharField(max_length=64, null=True)
    employer_type = fields.CharField(max_length=32, null=True)
    photo_sha256 = fields.CharField(max_length=64, null=True)

    # 待完善: what must be completed
    missing: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # Why a bulk-loaded record is 待完善 (电子证书生成失败，需重新上传电子照片 …).
    # Tortoise types TextField as str even when null=True.
    incomplete_reason: str | None = fields.TextField(null=True)
    # Where a bulk-loaded record came from: the job and the row of its file.
    import_job_id = fields.IntField(null=True)
    import_row = fields.IntField(null=True)
    # Non-fatal findings shown to the reviewer.
    warnings: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    return_reason_code = fields.CharField(max_length=32, null=True)
    # Tortoise types TextField as str even when null=True.
    return_note: str | None = fields.TextField(null=True)
    round = fields.IntField(default=0)  # how many times it has been submitted
    # Unused (optimistic locking was never built; rows are locked with select_for_update).
    # The column stays until a migration drops it: bulk inserts still fill it with 0.
    lock_version = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)

    certificates: fields.ReverseRelation[Certificate]
    keys: fields.ReverseRelation[RegistrationKey]

    class Meta:
        table = "registration"
        indexes = (("authority_code", "status", "submitted_at"),)


class RegistrationKey(Model):
    """Identity keys of a certificate for its holder (a unique index refuses duplicates).

    ``N:<certificate number>`` and ``D:<approval document>|<level>|<specialty>``. A draft
    claims its keys as soon as the fields are known, so two identical registrations — even
    submitted at the same moment — cannot both exist.
    """

    id = fields.IntField(primary_key=True)
    holder_id_hmac = fields.CharField(max_length=64)
    key = fields.CharField(max_length=200)
    registration: fields.ForeignKeyRelation[Registration] = fields.ForeignKeyField(
        "models.Registration", related_name="keys", on_delete=fields.CASCADE
    )
    registration_id: int

    class Meta:
        table = "registration_key"
        unique_together = (("holder_id_hmac", "key"),)
