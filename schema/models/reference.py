"""Reference data (levels, series, authorities, specialties, batches …) as stored rows.

The versioned JSON files under ``schema/reference/data`` are the source; ``ecert migrate``
loads them idempotently. Admins may add entries (``ReferenceSource.ADMIN``), which file
reloads never overwrite.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from schema.enums import ReferenceSource


class ReferenceEntry(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    code = fields.CharField(max_length=64)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField()
    source = fields.CharEnumField(ReferenceSource, max_length=8, default=ReferenceSource.FILE)
    file_version = fields.IntField(default=0)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reference_entry"
        unique_together = (("kind", "code"),)
