"""Bulk collection (历史数据归集) queries: a job and its progress, the importer's jobs, the
job's report. Importers see their own jobs; admins everyone's; another importer's job is
"not found"."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.permissions import require
from graphql_api.types.connection import Connection, connection
from graphql_api.types.imports import ImportJobType, ImportReportLineType, ImportReportType
from schema.enums import Role
from schema.errors import InvalidInput
from schema.services import collection_jobs

__all__ = ["MAX_REPORT_LINES", "ImportQueries"]

_IMPORTERS = (Role.IMPORTER, Role.ADMIN)
#: Lines one query returns at most; the downloads hold every line.
MAX_REPORT_LINES = 1000


@strawberry.type
class ImportQueries:
    @strawberry.field(description="One import job with its progress (poll it until DONE).")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType:
        actor = require(info, *_IMPORTERS)
        job = await collection_jobs.get_import_job(actor=actor, job_id=str(id))
        return ImportJobType.from_model(job, now=info.context.now)

    @strawberry.field(
        description="The importer's jobs (an admin: everyone's), newest first (cursor pagination)."
    )
    async def import_jobs(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ImportJobType]:
        actor = require(info, *_IMPORTERS)
        page = await collection_jobs.list_import_jobs(actor=actor, first=first, after=after)
        now = info.context.now
        return connection(page, lambda job: ImportJobType.from_model(job, now=now))

    @strawberry.field(
        description="A job's report in file order: refused rows (row number, column and the "
        f"reason), rows already on record, notes. At most {MAX_REPORT_LINES} lines; the CSV "
        "and XLSX downloads hold them all."
    )
    async def import_report(
        self, info: Info, id: strawberry.ID, limit: int = MAX_REPORT_LINES
    ) -> ImportReportType:
        actor = require(info, *_IMPORTERS)
        if not 1 <= limit <= MAX_REPORT_LINES:
            raise InvalidInput.one(
                "PAGE_SIZE", f"每次最多返回{MAX_REPORT_LINES}行，请下载完整报告", "limit"
            )
        job, lines = await collection_jobs.import_report(
            actor=actor, job_id=str(id), limit=limit
        )
        total = await collection_jobs.report_size(actor=actor, job_id=str(id))
        return ImportReportType(
            job=ImportJobType.from_model(job, now=info.context.now),
            lines=[ImportReportLineType.from_line(line) for line in lines],
            total_lines=total,
            truncated=total > len(lines),
        )
