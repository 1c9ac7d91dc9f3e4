"""One row of a collection file → a record to load, or the reasons it is refused.

Pure and CPU-bound (no database): the chunk writer calls :func:`check_rows` in a worker
thread. Every row passes the rules of a hand registration (``check_loaded_record`` runs
them all once); what a row lacks is not a refusal for archive records (待完善, the holder
completes it) but is for title-system results, which are issued without anyone's help.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schema import rules
from schema.enums import RegistrationSource
from schema.errors import Problem
from schema.models import ImportKind
from schema.photos import PhotoRejected, normalize_photo
from schema.qr_fit import qr_fit_problem
from schema.reference.catalog import Catalog
from schema.registration_form import FIELD_LABELS, check_loaded_record
from schema.rules.title_system import TITLE_SYSTEM_FROM_YEAR
from schema.services.registrations import identity_keys

__all__ = [
    "GENERATION_FAILED",
    "LABELS",
    "Candidate",
    "PhotoSource",
    "RowRefusal",
    "check_rows",
]

GENERATION_FAILED = "电子证书生成失败，需重新上传电子照片"

# The form validates a title-system row as the offline review it resembles; the stored
# source then says where it really came from (nobody may register TITLE_SYSTEM by hand).
_TITLE_SYSTEM_FORM_SOURCE = RegistrationSource.OFFLINE_REVIEW.value
_SOURCE_BY_WAY = {
    "CD": RegistrationSource.OFFLINE_INITIAL.value,
    "QR": RegistrationSource.OFFLINE_CONFIRMATION.value,
}
_PERSON_FIELDS = ("name", "idNumber", "photo")
#: API field → Chinese label, for reports about columns a file may not have.
LABELS = {**FIELD_LABELS, "name": "姓名", "idNumber": "公民身份号码", "photo": "照片文件"}

# A row's photo: bytes from the archive, or why there is none (None = no archive entry).
PhotoSource = Callable[[str, str | None], "bytes | PhotoRejected | None"]


@dataclass(frozen=True)
class RowRefusal:
    row: int
    problems: list[Problem]  # Problem.field is the API field


@dataclass
class Candidate:
    """A row that passed: what the chunk writer stores (and issues, when ``issue``)."""

    row: int
    public_id: str
    holder_hmac: str
    holder_name: str
    holder_masked: str
    birth_date: date
    values: dict[str, Any]  # stored columns, clean
    keys: list[str]  # identity keys + the row's fingerprint (idempotent reloads)
    missing: list[str]
    incomplete_reason: str | None
    photo: bytes | None = None  # normalised JPEG
    photo_sha256: str | None = None
    issue: bool = False  # a title-system result with a good photo: issued at once
    notes: list[str] = field(default_factory=list)


def _fingerprint(holder_hmac: str, values: Mapping[str, Any]) -> str:
    """``R:`` + a digest of the clean values: the same row loaded again finds its record
    even when it has no certificate number or approval document yet."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return "R:" + hashlib.sha256(f"{holder_hmac}|{text}".encode()).hexdigest()[:40]


def _source_for(kind: ImportKind, row: Mapping[str, Any]) -> str:
    if kind is ImportKind.TITLE_SYSTEM:
        return _TITLE_SYSTEM_FORM_SOURCE
    declared = row.get("source")
    if declared:
        return str(declared)
    obtained = row.get("obtainedOn")
    year = obtained.year if isinstance(obtained, date) else None
    if year is None or year < TITLE_SYSTEM_FROM_YEAR or row.get("certificateNumber"):
        return RegistrationSource.PAPER.value
    way = str(row.get("wayObtained") or "")
    return _SOURCE_BY_WAY.get(way, RegistrationSource.OFFLINE_REVIEW.value)


def _title_system_checks(values: Mapping[str, Any], catalog: Catalog) -> list[Problem]:
    problems: list[Problem] = []
    obtained = values.get("obtained_on")
    if obtained is not None and obtained.year < TITLE_SYSTEM_FROM_YEAR:
        problems.append(
            Problem("IMPORT_BEFORE_2021", "职称系统评审结果应为2021年以来取得的职称", "obtainedOn")
        )
    level = values.get("level")
    if level and catalog.level(level).is_senior:
        problems.append(
            Problem(
                "IMPORT_TITLE_SYSTEM_SENIOR",
                "职称系统自动生成的是中级、初级职称电子证书，高级职称请按登记流程办理",
                "level",
            )
        )
    return problems


def _photo(
    candidate: Candidate, id_number: str, entry: str | None, photos: PhotoSource | None
) -> str | None:
    """Attach the normalised photo; return why it failed, or None when it is attached."""
    if photos is None:
        return "未提供照片"
    found = photos(id_number, entry)
    if found is None:
        return "照片包中没有该人员的照片"
    if isinstance(found, PhotoRejected):
        return found.message
    try:
        photo = normalize_photo(found)
    except PhotoRejected as exc:
        return exc.message
    candidate.photo = photo.data
    candidate.photo_sha256 = hashlib.sha256(photo.data).hexdigest()
    return None


_YES = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓"})


def _yes(cell: object) -> bool:
    """A yes/no cell (是, Y, TRUE, 1, √); anything else, blank included, is no."""
    return (isinstance(cell, bool) and cell) or str(cell).strip().upper() in _YES


def _check_row(
    number: int,
    row: Mapping[str, Any],
    cell_notes: Mapping[str, tuple[str, str]],
    *,
    kind: ImportKind,
    catalog: Catalog,
    today: date,
    hmac: Callable[[str], str],
    photos: PhotoSource | None,
) -> Candidate | RowRefusal:
    problems: list[Problem] = []
    name = ""
    try:
        name = rules.normalize_person_name(str(row.get("name") or ""))
    except rules.RuleViolation as exc:
        problems.append(Problem(exc.code, exc.message, "name"))
    try:
        person = rules.parse_id_number(str(row.get("idNumber") or ""), today=today)
    except rules.RuleViolation as exc:
        code, message = cell_notes.get("idNumber", (exc.code, exc.message))
        return RowRefusal(number, [*problems, Problem(code, message, "idNumber")])
    submitted = {k: v for k, v in row.items() if k not in _PERSON_FIELDS and v is not None}
    if "otherNumberFormat" in submitted:
        submitted["otherNumberFormat"] = _yes(submitted["otherNumberFormat"])
    submitted["source"] = _source_for(kind, row)
    checked = check_loaded_record(
        submitted, catalog=catalog, today=today, birth_date=person.birth_date
    )
    problems.extend(checked.problems)
    if kind is ImportKind.TITLE_SYSTEM:
        problems.extend(
            Problem(
                "IMPORT_FIELD_REQUIRED",
                f"职称系统评审结果必须填写“{LABELS.get(f, f)}”",
                f,
            )
            for f in checked.missing
        )
        problems.extend(_title_system_checks(checked.values, catalog))
    if not problems:
        too_long = qr_fit_problem(
            checked.values,
            holder_name=name,
            holder_id_masked=rules.mask_id_number(person.value),
            catalog=catalog,
        )
        problems.extend([too_long] if too_long else [])
    if problems:
        return RowRefusal(number, problems)
    values = dict(checked.values)
    holder_hmac = hmac(person.value)
    keys = sorted(identity_keys(values))
    keys.append(_fingerprint(holder_hmac, values))
    candidate = Candidate(
        row=number,
        public_id="",  # assigned per chunk by check_rows
        holder_hmac=holder_hmac,
        holder_name=name,
        holder_masked=rules.mask_id_number(person.value),
        birth_date=person.birth_date,
        values=values,
        keys=keys,
        missing=list(checked.missing),
        incomplete_reason=None,
        notes=[message for _, message in cell_notes.values()],
    )
    entry = row.get("photo")
    entry_name = str(entry) if entry else None
    if kind is ImportKind.TITLE_SYSTEM:
        values["source"] = RegistrationSource.TITLE_SYSTEM.value
        failure = _photo(candidate, person.value, entry_name, photos)
        if failure is None:
            candidate.issue = True
        else:
            candidate.missing = ["photo"]
            candidate.incomplete_reason = f"{GENERATION_FAILED}（{failure}）"
    else:
        failure = _photo(candidate, person.value, entry_name, photos) if photos else "未提供照片"
        if failure is not None:
            candidate.missing.append("photo")
            if photos is not None and (entry_name or failure != "照片包中没有该人员的照片"):
                candidate.incomplete_reason = f"照片未通过：{failure}，请重新上传电子照片"
    return candidate


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, Any], Mapping[str, tuple[str, str]]]],
    *,
    kind: ImportKind,
    catalog: Catalog,
    today: date,
    hmac: Callable[[str], str],
    photos: PhotoSource | None,
) -> list[Candidate | RowRefusal]:
    """Check ``(row number, API field → value, field → (note code, note message))`` rows."""
    results = [
        _check_row(
            number,
            row,
            notes,
            kind=kind,
            catalog=catalog,
            today=today,
            hmac=hmac,
            photos=photos,
        )
        for number, row, notes in rows
    ]
    # Record ids: one system call for the chunk instead of one per row.
    candidates = [r for r in results if isinstance(r, Candidate)]
    ids = os.urandom(12 * len(candidates)).hex()
    for i, cand in enumerate(candidates):
        cand.public_id = ids[24 * i : 24 * (i + 1)]
    return results
