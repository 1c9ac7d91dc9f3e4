"""Document batch output type: a batch of certificate PDFs being made into one ZIP.

Built explicitly from the model (``from_model``); the ZIP itself is served over HTTP
(``graphql_api.document_batch_routes``) at ``downloadPath`` once the batch is done.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.document_batch_routes import batch_path
from schema.models import BatchStatus, DocumentBatch
from schema.services.document_batches import batch_percent

__all__ = ["DocumentBatchStatusEnum", "DocumentBatchType", "status_label"]

_LABELS = {
    BatchStatus.QUEUED: "排队中",
    BatchStatus.RUNNING: "生成中",
    BatchStatus.DONE: "已完成",
    BatchStatus.FAILED: "失败",
}

strawberry.enum(
    BatchStatus,
    name="DocumentBatchStatus",
    description="; ".join(f"{s.name}: {label}" for s, label in _LABELS.items()),
)
DocumentBatchStatusEnum = BatchStatus


def status_label(status: BatchStatus) -> str:
    """排队中 | 生成中 | 已完成 | 失败 (also the label of an employer's batch check)."""
    return _LABELS[status]


@strawberry.type(
    name="DocumentBatch",
    description="Certificate PDFs of one authority made into one ZIP (证书文件批量生成).",
)
class DocumentBatchType:
    id: strawberry.ID
    status: DocumentBatchStatusEnum
    status_label: str = strawberry.field(description="排队中 | 生成中 | 已完成 | 失败.")
    authority_code: str
    total: int = strawberry.field(description="Certificates in the batch.")
    done_count: int = strawberry.field(description="Certificates rendered so far.")
    percent: float
    attempts: int
    error: str | None = strawberry.field(
        description="Why the last attempt failed (FAILED: why the batch stopped)."
    )
    result_size: int | None = strawberry.field(description="Bytes of the ZIP, once done.")
    result_sha256: str | None = strawberry.field(description="SHA-256 of the ZIP, once done.")
    download_path: str | None = strawberry.field(
        description="The ZIP (path on this service; needs the login), once DONE."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_model(cls, batch: DocumentBatch) -> DocumentBatchType:
        status = BatchStatus(batch.status)
        return cls(
            id=strawberry.ID(batch.public_id),
            status=status,
            status_label=_LABELS[status],
            authority_code=batch.authority_code,
            total=batch.total,
            done_count=batch.done_count,
            percent=batch_percent(batch),
            attempts=batch.attempts,
            error=batch.error,
            result_size=batch.result_size,
            result_sha256=batch.result_sha256,
            download_path=batch_path(batch.public_id) if status is BatchStatus.DONE else None,
            created_at=batch.created_at,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
        )
