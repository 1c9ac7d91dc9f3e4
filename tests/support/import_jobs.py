"""Bulk collection through the API: the rows a clerk loads, the files uploaded, a job polled
to its end. (``tests.support.collection`` drives the same jobs through the services.)"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

from schema.collection import COLUMNS
from schema.collection.templates import template_headers
from tests.support.client import FilePart, Session
from tests.support.factories import ID_MALE_1985

__all__ = [
    "RESULT_RECORD",
    "RESULT_ROW",
    "finished_job",
    "photos_zip",
    "start_import",
    "template_csv",
]

# A title-system result (张三, 2023, intermediate) as the title system exports it: names.
RESULT_ROW = {
    "name": "张三",
    "idNumber": ID_MALE_1985,
    "level": "中级",
    "series": "工程技术人员",
    "titleName": "工程师",
    "wayObtained": "评审",
    "approvalDocument": "渝职改办〔2023〕88号",
    "obtainedOn": "2023-06-30",
    "issuedOn": "2023-08-01",
    "authority": "渝北区人力资源和社会保障局",
    "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
    "validityScope": "全市",
    "specialty": "给排水",
}
# The same result as a JSON record of importTitleSystemResults: codes where the API has them.
RESULT_RECORD = {**RESULT_ROW, "level": "ZHONG", "series": "05", "wayObtained": "PS"}

_UNFINISHED_LABELS = ("排队中", "导入中")


def template_csv(rows: Iterable[Mapping[str, str]], kind: str = "TITLE_SYSTEM") -> bytes:
    """A filled-in template: its header row (required columns marked *), one line a row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(template_headers(kind))  # type: ignore[arg-type]
    for row in rows:
        writer.writerow(row.get(c.field, "") for c in COLUMNS)
    return buffer.getvalue().encode("utf-8-sig")


def photos_zip(by_id_number: Mapping[str, bytes]) -> bytes:
    """A photo ZIP as clerks send it: ``照片/<ID number>.jpg``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for id_number, data in by_id_number.items():
            archive.writestr(f"照片/{id_number}.jpg", data)
    return buffer.getvalue()


async def start_import(
    importer: Session,
    document: str,
    *,
    kind: str,
    file: FilePart,
    photos: FilePart | None = None,
) -> dict[str, Any]:
    """``startImport`` (``document`` selects what the test reads) as a multipart upload;
    its payload, asserting HTTP 200."""
    files = {"input.file": file} | ({"input.photos": photos} if photos is not None else {})
    variables = {"input": {"kind": kind, "file": None, "photos": None}}
    response = await importer.upload(document, variables, files)
    assert response.status_code == 200, response.text
    return response.json()["data"]["startImport"]


async def finished_job(importer: Session, query: str, job_id: str) -> dict[str, Any]:
    """Poll ``query`` (``importJob(id: $id)`` selecting at least ``status``) until the job is
    DONE or FAILED, 30 s at most; the finished job."""
    async with asyncio.timeout(30):
        while True:
            job = (await importer.data(query, {"id": job_id}))["importJob"]
            if job["status"] in ("DONE", "FAILED"):
                return job
            if "statusLabel" in job:
                assert job["statusLabel"] in _UNFINISHED_LABELS, job
            await asyncio.sleep(0.1)
