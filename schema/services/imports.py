"""历史数据归集: the title evaluation system and the authorities load results in bulk.

Results evaluated in the title system since 2021 are not registered by hand: they arrive
here and become records marked 待完善 until the holder uploads a photo (notice Q1, Q8).
A batch is all or nothing: every row is checked first, and one refused row refuses the
batch, with each problem naming its row (``records[3].idNumber``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schema import rules
from schema.actor import Actor
from schema.enums import Role
from schema.errors import Conflict, Forbidden, InvalidInput, Problem
from schema.models import (
    Account,
    AuditRecord,
    Registration,
    RegistrationKey,
    RegistrationStatus,
)
from schema.pii import PiiProtector
from schema.reference.catalog import Catalog
from schema.registration_form import STEP_FIELDS, check_complete, check_step
from schema.services.registrations import identity_keys, snapshot

__all__ = ["MAX_BATCH", "ImportReport", "import_title_system_results"]

MAX_BATCH = 5000
_CHUNK = 500  # rows per INSERT statement (well under both backends' parameter limits)
TITLE_SYSTEM = "TITLE_SYSTEM"
# The form validates a row as an offline review would be; the stored source then says
# where it really came from (a person can never register TITLE_SYSTEM records by hand).
_FORM_SOURCE = "OFFLINE_REVIEW"


@dataclass(frozen=True)
class ImportReport:
    created: int
    registration_ids: list[str]


@dataclass(frozen=True)
class _Row:
    holder_hmac: str
    holder_name: str
    holder_masked: str
    holder_birth: Any
    values: dict[str, Any]


def _row_problems(index: int, problems: Sequence[Problem]) -> list[Problem]:
    return [
        Problem(p.code, f"第{index + 1}条：{p.message}", f"records[{index}].{p.field or 'row'}")
        for p in problems
    ]


def _check_row(
    index: int, record: Mapping[str, Any], *, pii: PiiProtector, catalog: Catalog, now: datetime
) -> tuple[_Row | None, list[Problem]]:
    problems: list[Problem] = []
    name = str(record.get("name") or "").strip()
    if not name:
        problems.append(Problem("NAME_REQUIRED", "姓名不能为空", "name"))
    try:
        person = rules.parse_id_number(str(record.get("idNumber") or ""), today=now.date())
    except rules.RuleViolation as exc:
        return None, _row_problems(index, [*problems, Problem(exc.code, exc.message, exc.field)])
    stored: dict[str, Any] = {}
    for step, fields in STEP_FIELDS.items():
        submitted = {f: record[f] for f in fields if f in record}
        if step.value == "TITLE":
            submitted["source"] = _FORM_SOURCE
        result = check_step(
            step,
            submitted,
            stored,
            catalog=catalog,
            today=now.date(),
            birth_date=person.birth_date,
        )
        problems.extend(result.problems)
        stored.update(result.values)
    complete = check_complete(
        stored, catalog=catalog, today=now.date(), birth_date=person.birth_date
    )
    problems.extend(p for p in complete.problems if p not in problems)
    if stored.get("obtained_on") and stored["obtained_on"].year < 2021:
        problems.append(
            Problem("IMPORT_BEFORE_2021", "职称系统评审结果应为2021年以来取得的职称", "obtainedOn")
        )
    if problems:
        return None, _row_problems(index, problems)
    values = {**complete.values, "source": TITLE_SYSTEM}
    return _Row(
        holder_hmac=pii.lookup_hash(person.value),
        holder_name=name,
        holder_masked=rules.mask_id_number(person.value),
        holder_birth=person.birth_date,
        values=values,
    ), []


async def import_title_system_results(
    *,
    actor: Actor,
    pii: PiiProtector,
    records: Sequence[Mapping[str, Any]],
    catalog: Catalog,
    now: datetime,
) -> ImportReport:
    """Create 待完善 records (photo missing) for title-system results, all or nothing."""
    if actor.role not in (Role.IMPORTER, Role.ADMIN):
        raise Forbidden("只有数据归集人员可以批量导入")
    if not records:
        raise InvalidInput.one("IMPORT_EMPTY", "导入数据为空", "records")
    if len(records) > MAX_BATCH:
        raise InvalidInput.one("IMPORT_TOO_LARGE", f"每批最多导入{MAX_BATCH}条", "records")
    rows: list[_Row] = []
    problems: list[Problem] = []
    for index, record in enumerate(records):
        row, row_problems = _check_row(index, record, pii=pii, catalog=catalog, now=now)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        for key in identity_keys(row.values):
            if (row.holder_hmac, key) in seen:
                problems.append(
                    Problem(
                        "IMPORT_DUPLICATE_ROW",
                        f"第{index + 1}条与第{seen[(row.holder_hmac, key)] + 1}条重复",
                        f"records[{index}]",
                    )
                )
            seen[(row.holder_hmac, key)] = index
    if problems:
        raise InvalidInput(problems)
    holders = list({row.holder_hmac for row in rows})
    async with in_transaction() as conn:
        # One query for every key already held, so a conflict names its row; the unique
        # index still guards against a registration that lands between check and insert.
        taken = set(
            await RegistrationKey.filter(holder_id_hmac__in=holders)
            .using_db(conn)
            .values_list("holder_id_hmac", "key")
        )
        conflicts = [
            Problem(
                "IMPORT_ALREADY_REGISTERED",
                f"第{index + 1}条：该证书已有登记记录，本批未导入",
                f"records[{index}]",
            )
            for index, row in enumerate(rows)
            if any((row.holder_hmac, key) in taken for key in identity_keys(row.values))
        ]
        if conflicts:
            raise InvalidInput(conflicts)
        accounts = dict(
            await Account.filter(id_number_hmac__in=holders)
            .using_db(conn)
            .values_list("id_number_hmac", "id")
        )
        regs = [
            Registration(
                public_id=secrets.token_hex(12),
                applicant_id=accounts.get(row.holder_hmac),
                holder_id_hmac=row.holder_hmac,
                holder_name=row.holder_name,
                holder_id_masked=row.holder_masked,
                status=RegistrationStatus.INCOMPLETE,
                missing=["photo"],
                warnings=[],
                created_at=now,
                updated_at=now,
                **row.values,
            )
            for row in rows
        ]
        await Registration.bulk_create(regs, batch_size=_CHUNK, using_db=conn)
        ids = dict(
            await Registration.filter(public_id__in=[r.public_id for r in regs])
            .using_db(conn)
            .values_list("public_id", "id")
        )
        keys = [
            RegistrationKey(
                holder_id_hmac=row.holder_hmac, key=key, registration_id=ids[reg.public_id]
            )
            for row, reg in zip(rows, regs, strict=True)
            for key in sorted(identity_keys(row.values))
        ]
        try:
            await RegistrationKey.bulk_create(keys, batch_size=_CHUNK, using_db=conn)
        except IntegrityError:
            raise Conflict(
                "导入期间有相同证书被登记，本批未导入，请重新提交", code="IMPORT_RACE"
            ) from None
        await AuditRecord.bulk_create(
            [
                AuditRecord(
                    at=now,
                    actor_id=actor.account_id,
                    actor_role=actor.role.value,
                    action="registration.imported",
                    entity_type="registration",
                    entity_id=reg.public_id,
                    after=snapshot(reg),
                )
                for reg in regs
            ],
            batch_size=_CHUNK,
            using_db=conn,
        )
    created = [reg.public_id for reg in regs]
    return ImportReport(created=len(created), registration_ids=created)
