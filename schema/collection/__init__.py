"""The file layer of bulk data collection (历史数据归集); pure Python, no database.

Clerks upload spreadsheets (CSV or XLSX) of title-system results or archive records, with an
optional ZIP of photos; each data row becomes a certificate record downstream.

- :mod:`~schema.collection.columns` — the column spec and header matching;
- :mod:`~schema.collection.files` — streaming readers (:func:`open_collection_file`);
- :mod:`~schema.collection.photo_archive` — photos looked up in the ZIP;
- :mod:`~schema.collection.templates` — blank CSV/XLSX templates;
- :mod:`~schema.collection.report_files` — the per-job report (CSV/XLSX).
"""

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
