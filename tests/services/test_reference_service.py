"""Reference data service: idempotent loading, admin additions, the stored catalog."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from schema.actor import SYSTEM, Actor
from schema.enums import Role
from schema.errors import Conflict, Forbidden, InvalidInput
from schema.models import AuditRecord, ReferenceEntry
from schema.services.reference import (
    CatalogCache,
    add_reference_entry,
    current_catalog,
    load_reference_data,
    read_documents,
)
from tests.support.factories import NOW

NEW_AUTHORITY = {
    "code": "DEPT_MEDICAL_SECURITY",
    "kind": "DEPARTMENT",
    "name": "重庆市医疗保障局",
    "aliases": ["重庆市医保局", "市医保局职改办"],
    "levels": ["ZHONG", "ZHULI", "YUAN"],
    "fixed_for_senior": False,
    "verified": False,
}
NEW_SPECIALTY = {"code": "05-027", "name": "智能制造", "series": "05", "verified": False}
APPLICANT = Actor(account_id=1, public_id="a1", name="张三", role=Role.APPLICANT)

# current_catalog() caches on (row count, last update): give every addition its own time.
_minute = iter(range(1, 10_000))


def _now():
    return NOW + timedelta(minutes=next(_minute))


async def test_loading_twice_adds_nothing_the_second_time(db):
    # The template database was loaded once already (as `ecert migrate` does).
    rows = await ReferenceEntry.all().count()
    lines = await load_reference_data(now=_now())
    assert len(lines) == len(read_documents())
    assert all(line.endswith(": 0 added, 0 updated") for line in lines), lines
    assert await ReferenceEntry.all().count() == rows
    assert await load_reference_data(now=_now()) == lines


async def test_loading_into_an_empty_table_adds_every_entry_once(db):
    await ReferenceEntry.all().delete()
    first = await load_reference_data(now=_now())
    total = sum(len(doc["entries"]) for doc in read_documents().values())
    assert await ReferenceEntry.all().count() == total
    assert not any(line.endswith(": 0 added, 0 updated") for line in first), first
    second = await load_reference_data(now=_now())
    assert all(line.endswith(": 0 added, 0 updated") for line in second), second


async def test_current_catalog_reflects_additions(db):
    before = await current_catalog()
    assert before.resolve_authority("市医保局职改办") is None
    await add_reference_entry(actor=SYSTEM, kind="authorities", entry=NEW_AUTHORITY, now=_now())
    await add_reference_entry(actor=SYSTEM, kind="specialties", entry=NEW_SPECIALTY, now=_now())

    catalog = await current_catalog()
    assert catalog is not before
    assert catalog.resolve_authority("市医保局职改办").code == "DEPT_MEDICAL_SECURITY"
    names = [s.name for s in catalog.specialties_for("05")]
    assert "智能制造" in names
    assert await current_catalog() is catalog  # unchanged rows: the cached catalog

    audit = await AuditRecord.filter(action="reference.added").count()
    assert audit == 2


async def test_another_process_sees_an_addition_within_its_bound(db):
    # Another worker process's cache (its own CatalogCache, not told of the addition): with a
    # long bound it keeps serving what it has without asking the database; with a short one
    # it sees the entry once the bound has passed. This process sees it at once.
    patient, prompt = CatalogCache(max_age=3600), CatalogCache(max_age=0.05)
    old = await patient.get()
    assert (await prompt.get()).resolve_authority("市医保局职改办") is None
    await add_reference_entry(actor=SYSTEM, kind="authorities", entry=NEW_AUTHORITY, now=_now())
    assert (await current_catalog()).resolve_authority("市医保局职改办") is not None
    assert await patient.get() is old

    for _ in range(200):
        await asyncio.sleep(0.05)
        if (await prompt.get()).resolve_authority("市医保局职改办") is not None:
            break
    assert (await prompt.get()).authority("DEPT_MEDICAL_SECURITY").name == "重庆市医疗保障局"


async def test_admin_additions_survive_a_reload(db):
    await add_reference_entry(actor=SYSTEM, kind="authorities", entry=NEW_AUTHORITY, now=_now())
    lines = await load_reference_data(now=_now())
    assert all(line.endswith(": 0 added, 0 updated") for line in lines), lines

    row = await ReferenceEntry.get(kind="authorities", code="DEPT_MEDICAL_SECURITY")
    assert row.source == "admin" and row.data == NEW_AUTHORITY
    catalog = await current_catalog()
    assert catalog.authority("DEPT_MEDICAL_SECURITY").name == "重庆市医疗保障局"


async def test_refusals(db):
    with pytest.raises(Forbidden):
        await add_reference_entry(
            actor=APPLICANT, kind="authorities", entry=NEW_AUTHORITY, now=_now()
        )
    with pytest.raises(InvalidInput) as kind:
        await add_reference_entry(actor=SYSTEM, kind="levels", entry={"code": "X"}, now=_now())
    assert kind.value.code == "REFERENCE_KIND"
    clash = {**NEW_AUTHORITY, "name": "重庆市教育委员会", "aliases": []}
    with pytest.raises(InvalidInput) as invalid:
        await add_reference_entry(actor=SYSTEM, kind="authorities", entry=clash, now=_now())
    assert invalid.value.code == "REFERENCE_INVALID"
    no_code = {k: v for k, v in NEW_AUTHORITY.items() if k != "code"}
    with pytest.raises(InvalidInput) as code:
        await add_reference_entry(actor=SYSTEM, kind="authorities", entry=no_code, now=_now())
    assert code.value.code == "REFERENCE_CODE"

    await add_reference_entry(actor=SYSTEM, kind="authorities", entry=NEW_AUTHORITY, now=_now())
    # The same code again: refused (the catalog check sees the duplicate code first).
    with pytest.raises((Conflict, InvalidInput)) as again:
        await add_reference_entry(actor=SYSTEM, kind="authorities", entry=NEW_AUTHORITY, now=_now())
    assert again.value.code in ("REFERENCE_EXISTS", "REFERENCE_INVALID")
    assert await ReferenceEntry.filter(source="admin").count() == 1
