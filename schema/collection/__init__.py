"""The file layer of bulk data collection (历史数据归集); pure Python, no database.

Clerks upload spreadsheets (CSV or XLSX) of title-system results or archive records, with an
optional ZIP of photos; each data row becomes a certificate record downstream.

- :mod:`~schema.collection.columns` — the column spec and header matching;
- :mod:`~schema.collection.files` — streaming readers (:func:`open_collection_file`);
- :mod:`~schema.collection.photo_archive` — photos looked up in the ZIP;
- :mod:`~schema.collection.templates` — blank CSV/XLSX templates;
- :mod:`~schema.collection.report_files` — the per-job report (CSV/XLSX).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schema.collection.columns import COLUMNS, COLUMNS_BY_FIELD, Column, match_header
    from schema.collection.files import (
        CellNote,
        CollectionFile,
        FileCode,
        FileLimits,
        FileNote,
        FileRefused,
        SourceRow,
        Value,
        open_collection_file,
    )
    from schema.collection.photo_archive import PhotoArchive, PhotoEntryRefused
    from schema.collection.report_files import ReportLine, report_csv, report_xlsx
    from schema.collection.templates import (
        REQUIRED_FIELDS,
        TemplateKind,
        template_csv,
        template_xlsx,
    )

# Each name is loaded from its module at first use (PEP 562): the web app needs the report
# and template parts with its schema and routes, and the file readers (csv, zipfile,
# python_calamine) only when a file is uploaded or a job read.
_HOME = {
    **dict.fromkeys(("COLUMNS", "COLUMNS_BY_FIELD", "Column", "match_header"), "columns"),
    **dict.fromkeys(
        (
            "CellNote",
            "CollectionFile",
            "FileCode",
            "FileLimits",
            "FileNote",
            "FileRefused",
            "SourceRow",
            "Value",
            "open_collection_file",
        ),
        "files",
    ),
    **dict.fromkeys(("PhotoArchive", "PhotoEntryRefused"), "photo_archive"),
    **dict.fromkeys(("ReportLine", "report_csv", "report_xlsx"), "report_files"),
    **dict.fromkeys(
        ("REQUIRED_FIELDS", "TemplateKind", "template_csv", "template_xlsx"), "templates"
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "COLUMNS",
    "COLUMNS_BY_FIELD",
    "REQUIRED_FIELDS",
    "CellNote",
    "CollectionFile",
    "Column",
    "FileCode",
    "FileLimits",
    "FileNote",
    "FileRefused",
    "PhotoArchive",
    "PhotoEntryRefused",
    "ReportLine",
    "SourceRow",
    "TemplateKind",
    "Value",
    "match_header",
    "open_collection_file",
    "report_csv",
    "report_xlsx",
    "template_csv",
    "template_xlsx",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
