"""Collection files and jobs for tests: real files on disk, run through the real services."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

from schema.actor import Actor
from schema.enums import ImportStatus, Role
from schema.http_edge.deps import Deps
from schema.models import ImportJob, ImportKind
from schema.services.collection_jobs import Collector, create_import_job, run_import_job
from schema.services.reference import current_catalog
from tests.support.factories import NOW, make_staff
from tests.support.flows import actor_of

IMPORTER_ID = "500112199001010017"

# A title-system result (2021+, intermediate), as a clerk's spreadsheet has it.
TITLE_ROW = {
    "姓名": "张三",
    "公民身份号码": "500112198503120238",
    "职称级别": "中级",
    "职称系列": "工程技术人员",
    "职称名称": "工程师",
    "取得方式": "评审",
    "批准文号": "渝职改办〔2023〕88号",
    "取得时间": "2023-06-30",
    "发证时间": "2023-08-01",
    "审批机关": "渝北区人力资源和社会保障局",
    "评审机构": "重庆市工程技术中级职务渝北区评审委员会",
    "有效范围": "全市",
    "评审专业": "给排水",
}

# A paper certificate from the archives (before 2021): often incomplete.
HISTORICAL_ROW = {
    "姓名": "李四",
    "公民身份号码": "500243199212310562",
    "职称级别": "助理级",
    "职称系列": "工程技术人员",
    "职称名称": "助理工程师",
    "取得时间": "2018-12-20",
    "证书编号": "011320180001",
}


def csv_bytes(rows: Iterable[Mapping[str, str]], *, encoding: str = "utf-8-sig") -> bytes:
    rows = list(rows)
    headers = list(dict.fromkeys(h for row in rows for h in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def write_csv(path: Path, rows: Iterable[Mapping[str, str]], **kw: str) -> Path:
    path.write_bytes(csv_bytes(rows, **kw))
    return path


def photos_zip(path: Path, photos: Mapping[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in photos.items():
            archive.writestr(name, data)
    return path


async def importer(deps: Deps) -> Actor:
    staff = await make_staff(deps, role=Role.IMPORTER, id_number=IMPORTER_ID, name="钱归集")
    return actor_of(staff.account)


def collector(
    deps: Deps, *, chunk_rows: int = 500, lease_seconds: float = 60, process_rows: int = 20_000
) -> Collector:
    return Collector(
        pii=deps.pii,
        store=deps.store,
        issuer=deps.issuer,
        lease=timedelta(seconds=lease_seconds),
        chunk_rows=chunk_rows,
        process_rows=process_rows,
    )


async def start(
    deps: Deps,
    actor: Actor,
    path: Path,
    *,
    kind: ImportKind = ImportKind.HISTORICAL,
    photos: Path | None = None,
) -> ImportJob:
    return await create_import_job(
        actor=actor,
        kind=kind,
        file_name=path.name,
        file=path,
        photos_name=photos.name if photos else None,
        photos=photos,
        store=deps.store,
        now=NOW,
    )


async def load(
    deps: Deps,
    actor: Actor,
    path: Path,
    *,
    kind: ImportKind = ImportKind.HISTORICAL,
    photos: Path | None = None,
    chunk_rows: int = 500,
    process_rows: int = 20_000,
) -> ImportJob:
    """Create the job and run it to the end; return the finished job (``process_rows=0``:
    rows read and checked in a child process, as for large files)."""
    job = await start(deps, actor, path, kind=kind, photos=photos)
    done = await run_import_job(
        job_id=job.public_id,
        owner="test-worker",
        collector=collector(deps, chunk_rows=chunk_rows, process_rows=process_rows),
        catalog=current_catalog,
        clock=lambda: NOW,
    )
    if done is None:
        # A test that serves the app also runs its in-process worker, which may claim the
        # job first: then it is that worker's to finish (the claim is a lease).
        for _ in range(1200):
            row = await ImportJob.get(id=job.id)
            if row.status in (ImportStatus.DONE, ImportStatus.FAILED):
                return row
            await asyncio.sleep(0.05)
    assert done is not None, "the job was neither claimed here nor finished by another worker"
    return done
