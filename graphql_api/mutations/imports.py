"""Bulk loading (历史数据归集): start an import job from an uploaded file, or from JSON rows.

Either way the rows become a file in the blob store and a queued job (``collection_jobs``);
a worker loads it chunk by chunk, and the importer polls ``importJob`` and reads
``importReport``. A file refused as a whole (format, encoding, missing columns) is refused
here at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.errors import UserErrors
from graphql_api.permissions import require_mutation_actor
from graphql_api.types.imports import ImportJobType, ImportKindEnum
from schema.collection.records import MAX_RECORDS, records_csv
from schema.enums import Role
from schema.errors import InvalidInput
from schema.models import ImportKind
from schema.services.collection_jobs import create_import_job

__all__ = ["ImportMutations"]

_IMPORTERS = (Role.IMPORTER, Role.ADMIN)
_RECORDS_FILE_NAME = "importTitleSystemResults.csv"


@strawberry.input(
    description="Title-system results since 2021: one object per person and certificate, "
    "with the registration's API field names (name, idNumber, level, series, titleName, "
    "wayObtained, approvalDocument, obtainedOn, issuedOn, authority, reviewBody, "
    "validityScope, specialty, localSpecialty, certificateNumber, batch, employerType). "
    f"At most {MAX_RECORDS} per call. They are loaded as an import job: record N is row "
    "N+1 of the job's report (row 1 is the header)."
)
class ImportTitleSystemResultsInput:
    records: list[JSON]


@strawberry.input(description="Upload a collection file (multipart request).")
class StartImportInput:
    kind: ImportKindEnum
    file: Upload = strawberry.field(
        description="The spreadsheet: CSV (UTF-8 or GB18030) or XLSX, headers as in the "
        "template (/imports/template.xlsx?kind=…)."
    )
    photos: Upload | None = strawberry.field(
        default=None,
        description="Optional ZIP of photos, each named by ID number (or as the 照片文件 "
        "column says).",
    )


@strawberry.type
class ImportTitleSystemResultsSuccess:
    job: ImportJobType = strawberry.field(description="The queued job; poll importJob.")


@strawberry.type
class StartImportSuccess:
    job: ImportJobType = strawberry.field(description="The queued job; poll importJob.")


ImportTitleSystemResultsPayload = Annotated[
    ImportTitleSystemResultsSuccess | UserErrors,
    strawberry.union("ImportTitleSystemResultsPayload"),
]
StartImportPayload = Annotated[
    StartImportSuccess | UserErrors, strawberry.union("StartImportPayload")
]


def _upload(value: object, field: str) -> UploadFile:
    if not isinstance(value, UploadFile):
        raise InvalidInput.one(
            "IMPORT_FILE_REQUIRED", "请以文件上传（multipart/form-data请求）", field
        )
    return value


def _copy_to_temp(source: UploadFile) -> Path:
    fd, name = tempfile.mkstemp(prefix="ecert-upload-")
    try:
        with os.fdopen(fd, "wb") as target:
            source.file.seek(0)
            shutil.copyfileobj(source.file, target, 1 << 20)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


@contextlib.asynccontextmanager
async def _as_file(upload: UploadFile | None) -> AsyncIterator[Path | None]:
    """The upload as a file of its own (the blob store copies files, not streams), copied
    in a thread and removed afterwards."""
    if upload is None:
        yield None
        return
    path = await asyncio.to_thread(_copy_to_temp, upload)
    try:
        yield path
    finally:
        await asyncio.to_thread(path.unlink, True)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Queue title-system results given as JSON rows (importers, admins)."
    )
    async def import_title_system_results(
        self, info: Info, input: ImportTitleSystemResultsInput
    ) -> ImportTitleSystemResultsPayload:
        actor = require_mutation_actor(info, *_IMPORTERS)
        deps = info.context.deps
        job = await create_import_job(
            actor=actor,
            kind=ImportKind.TITLE_SYSTEM,
            file_name=_RECORDS_FILE_NAME,
            file=records_csv(list(input.records)),
            store=deps.store,
            now=info.context.now,
        )
        await deps.jobs.enqueue(job.public_id)
        return ImportTitleSystemResultsSuccess(
            job=ImportJobType.from_model(job, now=info.context.now)
        )

    @strawberry.mutation(
        description="Upload a collection file (and a photo ZIP) as an import job "
        "(importers, admins). Send it as a GraphQL multipart request."
    )
    async def start_import(self, info: Info, input: StartImportInput) -> StartImportPayload:
        actor = require_mutation_actor(info, *_IMPORTERS)
        file = _upload(input.file, "file")
        photos = None if input.photos is None else _upload(input.photos, "photos")
        deps = info.context.deps
        async with _as_file(file) as file_path, _as_file(photos) as photos_path:
            assert file_path is not None
            job = await create_import_job(
                actor=actor,
                kind=ImportKind(input.kind),
                file_name=file.filename or "",
                file=file_path,
                store=deps.store,
                now=info.context.now,
                photos_name=photos.filename if photos else None,
                photos=photos_path,
            )
        await deps.jobs.enqueue(job.public_id)
        return StartImportSuccess(job=ImportJobType.from_model(job, now=info.context.now))
