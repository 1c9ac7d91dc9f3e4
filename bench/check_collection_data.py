"""Check ``bench/collection_data.py`` against the project's real rules.

Generates rows of both kinds and runs each through the checks the import runs:

* the ID number (``schema.rules.parse_id_number``);
* ``schema.registration_form.check_complete`` on the stored columns (the mapping below), with
  the birth date taken from the ID number;
* the import's own path: ``check_step`` for each wizard step, then ``check_complete`` (as
  ``schema.services.imports`` does), and ``check_loaded_record`` when the form has it;
* the identity keys (``schema.services.registrations.identity_keys``) per holder, which find
  duplicates.

Expectations: every good row passes everything (warnings are fine and only counted); every
row the generator left incomplete is refused only for the field it left empty (and
``check_loaded_record`` lists that field as missing, without problems); every bad row is caught
by at least one check. Exit status 1 when an expectation fails. Usage::

    python bench/check_collection_data.py [--rows 2000] [--bad-share 0.02] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project and bench/ importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import schema.registration_form as form
from schema import rules
from schema.reference.catalog import Catalog, load_catalog
from schema.registration_form import STEP_FIELDS, Step, check_complete, check_step

try:
    from bench.collection_data import API_FIELDS, HISTORICAL, KINDS, Defect, generate
except ImportError:  # bench/ is not a package when run as a script
    from collection_data import (  # type: ignore[no-redef]
        API_FIELDS,
        HISTORICAL,
        KINDS,
        Defect,
        generate,
    )

# API field → stored column, for check_complete (approvalDocument: the typed text).
STORED_COLUMN: dict[str, str] = {
    "level": "level",
    "series": "series_code",
    "titleName": "title_name",
    "wayObtained": "way_obtained",
    "approvalDocument": "approval_document_raw",
    "obtainedOn": "obtained_on",
    "issuedOn": "issued_on",
    "certificateNumber": "certificate_number",
    "authority": "authority_code",
    "reviewBody": "review_body",
    "validityScope": "validity_scope",
    "specialty": "specialty",
    "localSpecialty": "local_specialty",
}
_DATES = frozenset({"obtainedOn", "issuedOn"})
_HEADER_OF = {api: header for header, api in API_FIELDS.items()}
_REQUIRED_SUFFIX = "_REQUIRED"


def _identity_keys(values: Mapping[str, Any]) -> set[str]:
    try:
        from schema.services.registrations import identity_keys
    except Exception:  # the services package may be mid-edit; same rule, restated
        keys: set[str] = set()
        if values.get("certificate_number"):
            keys.add(f"N:{values['certificate_number']}")
        specialty = values.get("local_specialty") or values.get("specialty")
        if values.get("approval_document") and values.get("level") and specialty:
            keys.add(f"D:{values['approval_document']}|{values['level']}|{specialty}")
        return keys
    return identity_keys(values)


def api_record(row: Mapping[str, str]) -> dict[str, str | None]:
    """Headers → API fields, blank cells → ``None`` (what the import will submit)."""
    return {api: (row[header] or None) for header, api in API_FIELDS.items()}


def stored_columns(record: Mapping[str, str | None], source: str) -> dict[str, Any]:
    """API fields → the stored columns ``check_complete`` reads (dates as ``date``)."""
    stored: dict[str, Any] = {"source": source}
    for api, column in STORED_COLUMN.items():
        value = record.get(api)
        if value is not None and api in _DATES:
            try:
                stored[column] = date.fromisoformat(value)
            except ValueError:
                stored[column] = value  # the form reports the format
        else:
            stored[column] = value
    return stored


def source_for(kind: str, obtained: str | None) -> str:
    if kind == HISTORICAL and (obtained is None or obtained < "2021"):
        return "PAPER"
    return "OFFLINE_REVIEW"


@dataclass
class RowOutcome:
    problems: list[tuple[str, str | None]] = field(default_factory=list)  # (code, field)
    missing: list[str] = field(default_factory=list)  # from check_loaded_record
    warnings: list[str] = field(default_factory=list)
    duplicate_of: int | None = None


def check_row(
    kind: str,
    row: Mapping[str, str],
    *,
    catalog: Catalog,
    today: date,
) -> tuple[RowOutcome, str | None, dict[str, Any]]:
    """All checks on one row; returns the outcome, the normalised ID and the clean values."""
    out = RowOutcome()
    record = api_record(row)
    try:
        person = rules.parse_id_number(record["idNumber"] or "", today=today)
    except rules.RuleViolation as exc:
        out.problems.append((str(exc.code), exc.field))
        return out, None, {}
    if not (record["name"] or "").strip():
        out.problems.append(("NAME_REQUIRED", "name"))
    source = source_for(kind, record["obtainedOn"])

    # 1. check_complete on the stored columns.
    complete = check_complete(
        stored_columns(record, source),
        catalog=catalog,
        today=today,
        birth_date=person.birth_date,
    )
    out.problems.extend((p.code, p.field) for p in complete.problems)
    out.warnings.extend(str(w.code) for w in complete.warnings)

    # 2. The import's path: each step saved in turn, then the whole.
    stored: dict[str, Any] = {}
    for step, names in STEP_FIELDS.items():
        submitted: dict[str, Any] = {
            n: record[n] for n in names if n in record and record[n] is not None
        }
        if step is Step.TITLE:
            submitted["source"] = source
        result = check_step(
            step, submitted, stored, catalog=catalog, today=today, birth_date=person.birth_date
        )
        out.problems.extend((p.code, p.field) for p in result.problems)
        stored.update(result.values)
    final = check_complete(stored, catalog=catalog, today=today, birth_date=person.birth_date)
    out.problems.extend((p.code, p.field) for p in final.problems)

    # 3. The bulk-load check, when the form has it (empty fields → missing, not refused).
    loaded = getattr(form, "check_loaded_record", None)
    if loaded is not None:
        fields = {k: v for k, v in record.items() if k not in ("name", "idNumber")}
        fields["source"] = source
        result = loaded(fields, catalog=catalog, today=today, birth_date=person.birth_date)
        out.problems.extend((p.code, p.field) for p in result.problems)
        out.missing = list(result.missing)
    out.problems = list(dict.fromkeys(out.problems))
    return out, person.value, complete.values


@dataclass
class KindReport:
    kind: str
    good: int = 0
    good_failed: dict[int, RowOutcome] = field(default_factory=dict)
    incomplete: int = 0
    incomplete_failed: dict[int, tuple[str, RowOutcome]] = field(default_factory=dict)
    bad: int = 0
    bad_missed: dict[int, Defect] = field(default_factory=dict)
    caught_by: dict[Defect, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    warnings: Counter[str] = field(default_factory=Counter)
    unique_ids: bool = True
    unique_numbers: bool = True

    @property
    def ok(self) -> bool:
        return (
            not self.good_failed
            and not self.incomplete_failed
            and not self.bad_missed
            and self.unique_ids
            and self.unique_numbers
        )


def check_kind(
    kind: str, n: int, *, seed: int, bad_share: float, catalog: Catalog, today: date
) -> KindReport:
    data = generate(kind, n, seed, bad_share, catalog=catalog)
    report = KindReport(kind)
    seen_keys: dict[tuple[str, str], int] = {}
    ids: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    rows = list(data.rows())
    for i, row in enumerate(rows):
        outcome, id_number, values = check_row(kind, row, catalog=catalog, today=today)
        if id_number is not None and values:
            for key in _identity_keys(values):
                earlier = seen_keys.get((id_number, key))
                if earlier is not None:
                    outcome.duplicate_of = earlier
                seen_keys.setdefault((id_number, key), i)
        report.warnings.update(outcome.warnings)
        defect = data.bad_rows.get(i)
        if defect is None:
            ids[row["公民身份号码"]] += 1
            if row["证书编号"]:
                numbers[row["证书编号"]] += 1
        if defect is not None:
            report.bad += 1
            codes = [code for code, _ in outcome.problems]
            if outcome.duplicate_of is not None:
                codes.append("DUPLICATE_KEY")
            if not codes:
                report.bad_missed[i] = defect
            for code in dict.fromkeys(codes):
                report.caught_by[defect][code] += 1
        elif i in data.incomplete_rows:
            report.incomplete += 1
            header = data.incomplete_rows[i]
            empty = {API_FIELDS[header]}
            if header == "评审专业":
                empty.add("localSpecialty")
            refused_for = {f for code, f in outcome.problems}
            only_required = all(code.endswith(_REQUIRED_SUFFIX) for code, _ in outcome.problems)
            loaded_ok = not outcome.missing or set(outcome.missing) <= empty
            if (
                not outcome.problems
                or not only_required
                or not refused_for <= empty
                or not loaded_ok
                or outcome.duplicate_of is not None
            ):
                report.incomplete_failed[i] = (header, outcome)
        else:
            report.good += 1
            if outcome.problems or outcome.duplicate_of is not None:
                report.good_failed[i] = outcome
    report.unique_ids = all(c == 1 for c in ids.values())
    report.unique_numbers = all(c == 1 for c in numbers.values())
    return report


def _print(report: KindReport, rows: Sequence[dict[str, str]] | None = None) -> None:
    passed = report.good - len(report.good_failed)
    share = passed / report.good if report.good else 1.0
    print(f"== {report.kind}")
    print(f"   good rows      {passed}/{report.good} pass ({share:.2%})")
    print(
        f"   incomplete     {report.incomplete - len(report.incomplete_failed)}/"
        f"{report.incomplete} refused only for the empty field"
    )
    print(f"   bad rows       {report.bad - len(report.bad_missed)}/{report.bad} caught")
    print(f"   unique IDs {report.unique_ids}, unique certificate numbers {report.unique_numbers}")
    for defect, codes in sorted(report.caught_by.items()):
        print(f"     {defect}: {dict(codes.most_common(4))}")
    if report.warnings:
        print(f"   warnings (accepted): {dict(report.warnings.most_common(8))}")
    failures: Counter[str] = Counter()
    for outcome in report.good_failed.values():
        failures.update(code for code, _ in outcome.problems)
        if outcome.duplicate_of is not None:
            failures["DUPLICATE_KEY"] += 1
    if failures:
        print(f"   GOOD ROWS REFUSED: {dict(failures.most_common())}")
        for i, outcome in list(report.good_failed.items())[:5]:
            shown = "|".join(rows[i].values()) if rows else ""
            print(f"     row {i}: {outcome.problems} {shown}")
    for i, (header, outcome) in list(report.incomplete_failed.items())[:5]:
        shown = "|".join(rows[i].values()) if rows else ""
        print(
            f"   INCOMPLETE row {i} ({header} empty): {outcome.problems} {outcome.missing} {shown}"
        )
    for i, defect in list(report.bad_missed.items())[:5]:
        shown = "|".join(rows[i].values()) if rows else ""
        print(f"   BAD row {i} ({defect}) NOT CAUGHT: {shown}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--bad-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=KINDS, action="append")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    today = date.today()
    ok = True
    for kind in args.kind or KINDS:
        report = check_kind(
            kind, args.rows, seed=args.seed, bad_share=args.bad_share, catalog=catalog, today=today
        )
        rows = list(generate(kind, args.rows, args.seed, args.bad_share, catalog=catalog).rows())
        _print(report, rows)
        ok = ok and report.ok
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
