"""Reading and checking a job's rows beside the writer: a thread for small files, a
process for large ones.

Reading a row and running every rule on it costs about twice what writing it costs, and
in one process the two share the interpreter lock. For a large file the rows are read and
checked in a child process that owns the file (and the photo archive) from the job's
resume point, so checking the next chunk and writing this one use both cores. The child
gets the reference data as plain documents and the lookup-hash key as a picklable function;
the catalog is fixed for the job's lifetime in that case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from schema.collection import (
    FileNote,
    FileRefused,
    PhotoArchive,
    PhotoEntryRefused,
    SourceRow,
    open_collection_file,
)
from schema.models import ImportKind
from schema.photos import PhotoRejected
from schema.reference.catalog import Catalog, catalog_from_documents
from schema.services.collection_rows import Candidate, PhotoSource, RowRefusal, check_rows

__all__ = ["Chunk", "ReaderSpec", "RowReader", "open_reader"]

Chunk = tuple[int, list[Candidate | RowRefusal]]


@dataclass(frozen=True, kw_only=True)
class ReaderSpec:
    """Everything needed to read a job's rows, in picklable form."""

    file_path: Path
    file_name: str
    photos_path: Path | None
    start_after: int
    kind: ImportKind
    chunk_rows: int
    hmac: Callable[[str], str]
    today: date


def _photo_source(archive: PhotoArchive | None) -> PhotoSource | None:
    if archive is None:
        return None

    def find(id_number: str, entry: str | None) -> bytes | PhotoRejected | None:
        try:
            return archive.by_entry(entry) if entry else archive.by_id_number(id_number)
        except PhotoEntryRefused as exc:
            return PhotoRejected(exc.code, exc.message)

    return find


def _cells(row: SourceRow) -> tuple[int, dict[str, Any], dict[str, tuple[str, str]]]:
    notes: dict[str, tuple[str, str]] = {}
    for n in row.notes:  # the first note of a cell explains its refusal, if it is refused
        notes.setdefault(n.field, (n.code, n.message))
    return row.number, dict(row.values), notes


class _Rows:
    """The rows of one job from its resume point, checked chunk by chunk."""

    def __init__(self, spec: ReaderSpec, catalog: Catalog | None) -> None:
        self.spec = spec
        self.catalog = catalog
        self.source = open_collection_file(spec.file_path, filename=spec.file_name)
        self.archive = PhotoArchive.open(spec.photos_path) if spec.photos_path else None
        self.rows: Iterator[SourceRow] = self.source.rows(start_after=spec.start_after)
        self.photos = _photo_source(self.archive)

    def next_chunk(self, catalog: Catalog | None = None) -> Chunk:
        chunk = list(islice(self.rows, self.spec.chunk_rows))
        if not chunk:
            return 0, []
        catalog = catalog or self.catalog
        assert catalog is not None, "a catalog is given to the reader or to each chunk"
        checked = check_rows(
            (_cells(r) for r in chunk),
            kind=self.spec.kind,
            catalog=catalog,
            today=self.spec.today,
            hmac=self.spec.hmac,
            photos=self.photos,
        )
        return chunk[-1].number, checked

    def notes(self) -> list[FileNote]:
        return list(self.source.notes)

    def close(self) -> None:
        self.source.close()
        if self.archive is not None:
            self.archive.close()


# The child process's rows (one job per child).
_child: dict[str, _Rows] = {}


def _child_open(spec: ReaderSpec, documents: dict[str, Any]) -> None:
    _child["rows"] = _Rows(spec, catalog_from_documents(documents))


def _child_next() -> Chunk:
    return _child["rows"].next_chunk()


def _child_notes() -> list[FileNote]:
    return _child["rows"].notes()


class RowReader:
    """Chunks of checked rows, the next one prepared while the caller writes this one."""

    def __init__(
        self,
        executor: Executor,
        next_chunk: Callable[[], Chunk],
        notes: Callable[[], list[FileNote]],
        close: Callable[[], None],
    ) -> None:
        self._executor = executor
        self._next = next_chunk
        self._notes = notes
        self._close = close
        self._pending: asyncio.Future[Chunk] | None = None

    def prefetch(self) -> None:
        loop = asyncio.get_running_loop()
        self._pending = asyncio.ensure_future(loop.run_in_executor(self._executor, self._next))

    async def next_chunk(self) -> Chunk:
        """This chunk; the next one starts being read and checked at once."""
        if self._pending is None:
            self.prefetch()
        assert self._pending is not None
        chunk = await self._pending
        self._pending = None
        if chunk[1]:
            self.prefetch()
        return chunk

    async def notes(self) -> list[FileNote]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._notes)

    async def close(self) -> None:
        if self._pending is not None:  # never close the file under a running read
            try:
                await self._pending
            except (Exception, asyncio.CancelledError):  # noqa: S110 (its error was reported)
                pass
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._close)
        finally:
            self._executor.shutdown(wait=True)


def _noop() -> None:
    return None


async def open_reader(
    spec: ReaderSpec,
    *,
    catalog: Callable[[], Any],
    documents: Callable[[], Any],
    in_process: bool,
) -> RowReader:
    """A reader of the job's rows: in a child process when ``in_process`` is false.

    Raises ``FileRefused`` when the file cannot be read any more (it was checked at upload).
    """
    if in_process:
        executor: Executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collection")
        loop = asyncio.get_running_loop()
        try:
            rows = await loop.run_in_executor(executor, _Rows, spec, None)
        except FileRefused:
            executor.shutdown()
            raise
        fixed = await catalog()

        def next_chunk() -> Chunk:
            return rows.next_chunk(fixed)

        return RowReader(executor, next_chunk, rows.notes, rows.close)
    # multiprocessing is loaded by the first job read in a child process, not at start-up.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    process = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(process, _child_open, spec, await documents())
    except FileRefused:
        process.shutdown()
        raise
    return RowReader(process, _child_next, _child_notes, _noop)
