"""Bulk collection jobs (历史数据归集): one row per uploaded file, one row per finding.

A job is the unit the queue runs: its file (and photo archive) live in the blob store, so
any worker on any machine can pick it up; ``processed_through`` is the last file row whose
outcome is committed, which makes a job resumable after a crash without doing a row twice.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from schema.enums import ImportKind, ImportOutcome, ImportStatus, Role

__all__ = ["ImportIssue", "ImportJob", "ImportKind", "ImportOutcome", "ImportStatus"]


class ImportJob(Model):
    """One uploaded file being loaded (counts and progress are committed with each chunk)."""

    id = fields.IntField(primary_key=True)
    public_id = fields.CharField(max_length=32, unique=True)
    kind = fields.CharEnumField(ImportKind, max_length=16)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    file_name = fields.CharField(max_length=255)
    file_sha256 = fields.CharField(max_length=64)
    photos_name = fields.CharField(max_length=255, null=True)
    photos_sha256 = fields.CharField(max_length=64, null=True)
    created_by_id = fields.IntField(null=True)
    created_by_role = fields.CharEnumField(Role, max_length=16, null=True)
    total_rows = fields.IntField(null=True)
    processed_through = fields.IntField(default=1)  # last file row committed (1 = header)
    rows_done = fields.IntField(default=0)
    created_count = fields.IntField(default=0)
    issued_count = fields.IntField(default=0)
    incomplete_count = fields.IntField(default=0)
    existing_count = fields.IntField(default=0)
    refused_count = fields.IntField(default=0)
    error_code = fields.CharField(max_length=64, null=True)
    # Tortoise types TextField as str even when null=True.
    error_message: str | None = fields.TextField(null=True)
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_expires_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    progressed_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    issues: fields.ReverseRelation[ImportIssue]

    class Meta:
        table = "import_job"
        indexes = (("status", "created_at"),)


class ImportIssue(Model):
    """A row of the job's report: a refused row, a row already on record, or a file note."""

    id = fields.BigIntField(primary_key=True)
    job: fields.ForeignKeyRelation[ImportJob] = fields.ForeignKeyField(
        "models.ImportJob", related_name="issues", on_delete=fields.CASCADE
    )
    job_id: int
    row = fields.IntField(null=True)  # the row number as the spreadsheet shows it
    column = fields.CharField(max_length=64, null=True)  # the header as written in the file
    outcome = fields.CharEnumField(ImportOutcome, max_length=16)
    code = fields.CharField(max_length=64)
    message = fields.TextField()
    ref = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "import_issue"
        indexes = (("job_id", "row"),)
