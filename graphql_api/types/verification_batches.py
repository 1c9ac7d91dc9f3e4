"""Employer batch check output types: a batch with its progress and, once done, its totals
and report paths (the report itself is served over HTTP by
``graphql_api.verification_batch_routes``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graphql_api.types.document_batches import DocumentBatchStatusEnum, status_label
from graphql_api.types.enum_docs import coded_labels
from graphql_api.verification_batch_routes import report_path
from schema.enums import BatchLineState
from schema.models import BatchStatus, VerificationBatch
from schema.services.verification_batches import verification_batch_percent

__all__ = ["BatchLineStateEnum", "VerificationBatchType"]

# strawberry.enum registers the domain enum itself and returns it; the *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(BatchLineState, name="BatchLineState", description=coded_labels(BatchLineState))
BatchLineStateEnum = BatchLineState


@strawberry.type(name="BatchLineStateCount", description="How many lines got one state.")
class BatchLineStateCountType:
    state: BatchLineStateEnum
    state_label: str
    count: int


@strawberry.type(
    name="VerificationBatch",
    description="An employer's batch check (用人单位批量核验): its lines answered into one "
    "signed report.",
)
class VerificationBatchType:
    id: strawberry.ID
    status: DocumentBatchStatusEnum
    status_label: str = strawberry.field(description="排队中 | 生成中 | 已完成 | 失败.")
    organisation_name: str
    credit_code: str
    as_of: date | None = strawberry.field(
        description="The day whose end-of-day state (Beijing time) each line also gets."
    )
    total: int = strawberry.field(description="Lines in the batch.")
    done_count: int = strawberry.field(description="Lines answered so far.")
    percent: float
    attempts: int
    error: str | None = strawberry.field(
        description="Why the last attempt failed (FAILED: why the batch stopped)."
    )
    summary: list[BatchLineStateCountType] = strawberry.field(
        description="Lines per state, once DONE."
    )
    report_kid: str | None = strawberry.field(description="The key that signed the report.")
    report_sha256: str | None = strawberry.field(description="SHA-256 of the report (JWS).")
    report_path: str | None = strawberry.field(
        description="The signed report (compact JWS; path on this service, needs the login), "
        "once DONE: verify it with `ecert verify-report`."
    )
    csv_path: str | None = strawberry.field(description="The same report as CSV, once DONE.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_model(cls, batch: VerificationBatch) -> VerificationBatchType:
        status = BatchStatus(batch.status)
        done = status is BatchStatus.DONE
        return cls(
            id=strawberry.ID(batch.public_id),
            status=status,
            status_label=status_label(status),
            organisation_name=batch.organisation_name,
            credit_code=batch.credit_code,
            as_of=batch.as_of,
            total=batch.total,
            done_count=batch.done_count,
            percent=verification_batch_percent(batch),
            attempts=batch.attempts,
            error=batch.error,
            summary=[
                BatchLineStateCountType(
                    state=BatchLineState(state),
                    state_label=BatchLineState(state).label,
                    count=count,
                )
                for state, count in sorted((batch.summary or {}).items())
            ],
            report_kid=batch.report_kid,
            report_sha256=batch.report_sha256,
            report_path=report_path(batch.public_id) if done else None,
            csv_path=report_path(batch.public_id, "csv") if done else None,
            created_at=batch.created_at,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
        )
