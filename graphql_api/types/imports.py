"""Bulk collection (历史数据归集) output types: a job with its progress, and its report lines.

Built explicitly from the models (``from_model``); progress (rows per second, time left,
percent) is computed by the core's ``progress_of`` at the request's time. The report files
are served over HTTP (``graphql_api.collection_routes``) at the paths given here.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.types.enum_docs import coded_labels, labels
from schema.collection import ReportLine
from schema.enums import ImportKind, ImportOutcome, ImportStatus
from schema.models import ImportJob
from schema.services.collection_jobs import progress_of

__all__ = [
    "ImportJobType",
    "ImportKindEnum",
    "ImportReportLineType",
    "ImportReportType",
    "ImportStatusEnum",
    "report_path",
]

# strawberry.enum registers the domain enum itself and returns it; each *Enum name is an
# alias of the domain enum, which type checkers accept in annotations.
strawberry.enum(
    ImportKind,
    name="ImportKind",
    description=coded_labels(ImportKind),
)
ImportKindEnum = ImportKind
strawberry.enum(
    ImportStatus,
    name="ImportStatus",
    description=coded_labels(ImportStatus),
)
ImportStatusEnum = ImportStatus


def report_path(job_id: str, extension: str) -> str:
    """Where the job's report downloads (login as its importer or an admin)."""
    return f"/imports/{job_id}/report.{extension}"


@strawberry.type(name="ImportJob", description="One uploaded file being loaded (导入任务).")
class ImportJobType:
    id: strawberry.ID
    kind: ImportKindEnum
    kind_label: str = strawberry.field(description=labels(ImportKind))
    status: ImportStatusEnum
    status_label: str = strawberry.field(description=labels(ImportStatus))
    file_name: str
    photos_name: str | None = strawberry.field(description="The photo archive (ZIP), if any.")
    total_rows: int | None = strawberry.field(
        description="Data rows in the file; null until a worker has counted them."
    )
    rows_done: int
    created_count: int = strawberry.field(description="New records (issued or 待完善).")
    issued_count: int = strawberry.field(description="Certificates issued at once.")
    incomplete_count: int = strawberry.field(description="Records marked 待完善.")
    existing_count: int = strawberry.field(description="Rows already on record (not loaded).")
    refused_count: int = strawberry.field(description="Rows refused (see the report).")
    rows_per_second: float | None
    eta_seconds: float | None = strawberry.field(description="Estimated seconds left.")
    percent: float | None
    error_code: str | None = strawberry.field(description="失败: why the file could not load.")
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report_csv_url: str = strawberry.field(
        description="The report as CSV (path on this service; needs the login)."
    )
    report_xlsx_url: str = strawberry.field(description="The report as XLSX (same access).")

    @classmethod
    def from_model(cls, job: ImportJob, *, now: datetime) -> ImportJobType:
        progress = progress_of(job, now=now)
        return cls(
            id=strawberry.ID(job.public_id),
            kind=job.kind,
            kind_label=job.kind.label,
            status=job.status,
            status_label=job.status.label,
            file_name=job.file_name,
            photos_name=job.photos_name,
            total_rows=job.total_rows,
            rows_done=job.rows_done,
            created_count=job.created_count,
            issued_count=job.issued_count,
            incomplete_count=job.incomplete_count,
            existing_count=job.existing_count,
            refused_count=job.refused_count,
            rows_per_second=progress.rows_per_second,
            eta_seconds=progress.eta_seconds,
            percent=progress.percent,
            error_code=job.error_code,
            error_message=job.error_message,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            report_csv_url=report_path(job.public_id, "csv"),
            report_xlsx_url=report_path(job.public_id, "xlsx"),
        )


@strawberry.type(name="ImportReportLine", description="One finding of a job's report.")
class ImportReportLineType:
    row: int | None = strawberry.field(description="Row number as the spreadsheet shows it.")
    column: str | None = strawberry.field(description="The column header as in the file.")
    outcome: str = strawberry.field(description="REFUSED | EXISTING | NOTE.")
    outcome_label: str = strawberry.field(description=labels(ImportOutcome))
    code: str
    message: str = strawberry.field(description="The reason, in Chinese.")
    ref: str | None = strawberry.field(description="EXISTING: the record already on file.")

    @classmethod
    def from_line(cls, line: ReportLine) -> ImportReportLineType:
        return cls(
            row=line.row,
            column=line.column,
            outcome=line.outcome,
            outcome_label=line.outcome.label,
            code=line.code,
            message=line.message,
            ref=line.ref,
        )


@strawberry.type(
    name="ImportReport",
    description="A job's findings in file order; past `limit` lines, download the full "
    "report (reportCsvUrl / reportXlsxUrl).",
)
class ImportReportType:
    job: ImportJobType
    lines: list[ImportReportLineType]
    total_lines: int
    truncated: bool = strawberry.field(description="True when `lines` is not every line.")
