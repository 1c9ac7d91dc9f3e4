"""A later model change upgrades an existing database without losing rows (both backends)."""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from tortoise import Tortoise

from schema import migrations
from schema.db import close_db, migrate, open_db
from tests.support.databases import PG_ADMIN_URL, admin_execute, forget_cached_sql


@pytest.fixture
async def empty_database_url(backend: str, tmp_path, pg_available: bool) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
        return
    if not pg_available:
        if os.environ.get("ECERT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL required")
        pytest.skip("PostgreSQL not reachable")
    name = f"ecert_upgrade_{uuid.uuid4().hex[:10]}"
    await admin_execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL}/{name}"
    await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _columns(table: str) -> set[str]:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "sqlite":
        _, rows = await conn.execute_query(f"PRAGMA table_info({table})")
        return {r["name"] for r in rows}
    _, rows = await conn.execute_query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table]
    )
    return {r["column_name"] for r in rows}


async def test_upgrade_from_first_migration_keeps_rows(empty_database_url):
    forget_cached_sql()
    await migrate(empty_database_url, target="models.0001_initial")
    await open_db(empty_database_url)
    try:
        assert "last_login_at" not in await _columns("account")
        conn = Tortoise.get_connection("default")
        await conn.execute_query(
            "INSERT INTO account (public_id, name, id_number_hmac, id_number_cipher, "
            "id_number_masked, birth_date, mobile, password_hash, role, is_active, "
            "failed_login_count, password_changed_at, created_at, updated_at) VALUES "
            "('p1', '张三', 'h1', 'c1', '5001**********0238', '1985-03-12', '13812341234', "
            "'x', 'applicant', TRUE, 0, '2026-01-01 00:00:00+00:00', "
            "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
        )
    finally:
        await close_db()

    forget_cached_sql()
    await migrate(empty_database_url)  # to the latest: adds columns and tables
    await open_db(empty_database_url)
    try:
        from schema.models import Account, Registration

        assert "last_login_at" in await _columns("account")
        account = await Account.get(public_id="p1")
        assert (account.name, account.id_number_masked, account.last_login_at) == (
            "张三",
            "5001**********0238",
            None,
        )
        assert await Registration.all().count() == 0  # new table exists and is usable
    finally:
        await close_db()


async def test_migrate_twice_is_a_no_op(empty_database_url):
    forget_cached_sql()
    await migrate(empty_database_url)
    await migrate(empty_database_url)
    await open_db(empty_database_url)
    try:
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query("SELECT COUNT(*) AS n FROM tortoise_migrations")
        files = sorted(Path(migrations.__file__).parent.glob("0*.py"))
        assert rows[0]["n"] == len(files)
    finally:
        await close_db()


async def _indexes(table: str) -> set[str]:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "sqlite":
        _, rows = await conn.execute_query(f"PRAGMA index_list({table})")
        return {r["name"] for r in rows}
    _, rows = await conn.execute_query(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1", [table]
    )
    return {r["indexname"] for r in rows}


async def test_rows_from_0003_upgrade_to_new_columns_and_enum_fields(empty_database_url):
    """0004 adds registration.other_number_format NOT NULL (rows already there get false);
    0005 turns text columns into enum fields without touching the tables."""
    forget_cached_sql()
    await migrate(empty_database_url, target="models.0003_collection")
    await open_db(empty_database_url)
    try:
        conn = Tortoise.get_connection("default")
        await conn.execute_query(
            "INSERT INTO registration (public_id, holder_id_hmac, holder_name, "
            "holder_id_masked, status, missing, warnings, round, lock_version, created_at, "
            "updated_at) VALUES ('r1', 'h1', '张三', '5001**********0238', 'DRAFT', '[]', '[]', "
            "0, 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
        )
        await conn.execute_query(
            "INSERT INTO reference_entry (kind, code, data, source, file_version, active, "
            "created_at, updated_at) VALUES ('level', 'X', '{}', 'admin', 0, TRUE, "
            "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
        )
        await conn.execute_query(
            "INSERT INTO audit_record (at, actor_role, action, entity_type, entity_id) VALUES "
            "('2026-01-01 00:00:00+00:00', 'reviewer', 'registration.approved', 'r', '1')"
        )
        before = {t: await _indexes(t) for t in ("reference_entry", "audit_record")}
    finally:
        await close_db()

    forget_cached_sql()
    await migrate(empty_database_url)
    await open_db(empty_database_url)
    try:
        from schema.enums import AuditAction, ReferenceSource, Role
        from schema.models import AuditRecord, ReferenceEntry, Registration

        reg = await Registration.get(public_id="r1")
        assert reg.other_number_format is False, reg.other_number_format
        entry = await ReferenceEntry.get(kind="level", code="X")
        assert entry.source is ReferenceSource.ADMIN
        record = await AuditRecord.get(entity_id="1")
        assert record.actor_role is Role.REVIEWER
        assert AuditAction(record.action) is AuditAction.REGISTRATION_APPROVED
        # No table was rebuilt: indexes and unique constraints are all still there (later
        # migrations may add some: 0009 adds audit_record's unique seq).
        after = {t: await _indexes(t) for t in before}
        assert all(before[t] <= after[t] for t in before), (before, after)
    finally:
        await close_db()


async def test_audit_rows_from_0005_are_chained_in_id_order(empty_database_url):
    """0009 chains the audit rows already there (id order) and sets the head; a second run
    of its data step changes nothing."""
    forget_cached_sql()
    await migrate(empty_database_url, target="models.0005_enum_fields")
    await open_db(empty_database_url)
    try:
        conn = Tortoise.get_connection("default")
        for i, role in ((7, "reviewer"), (3, None), (5, "admin")):
            await conn.execute_query(
                "INSERT INTO audit_record (id, at, actor_role, action, entity_type, entity_id, "  # noqa: S608 (test data)
                f"after, note) VALUES ({i}, '2026-01-0{i} 08:00:00.123456+00:00', "
                f"{repr(role) if role else 'NULL'}, 'registration.approved', 'registration', "
                f"'r{i}', '{{\"n\": {i}, \"名\": \"张三\"}}', '第{i}条')"
            )
    finally:
        await close_db()

    forget_cached_sql()
    await migrate(empty_database_url)
    await open_db(empty_database_url)
    try:
        from schema.models import AuditChainHead, AuditRecord
        from schema.services.audit_verify import verify_chain

        records = await AuditRecord.all().order_by("seq")
        assert [(r.id, r.seq) for r in records] == [(3, 1), (5, 2), (7, 3)]
        head = await AuditChainHead.get(id=1)
        assert (head.seq, head.hash) == (3, records[-1].hash)
        report = await verify_chain()
        assert (report.problem, report.records) == (None, 3)
        migration = importlib.import_module("schema.migrations.0009_audit_chain")
        await migration.chain_existing_rows(
            None, SimpleNamespace(client=Tortoise.get_connection("default"))
        )
        again = await AuditRecord.all().order_by("seq")
        assert [(r.seq, r.hash) for r in again] == [(r.seq, r.hash) for r in records]
    finally:
        await close_db()


async def test_a_new_database_starts_an_empty_chain(empty_database_url):
    forget_cached_sql()
    await migrate(empty_database_url)
    await open_db(empty_database_url)
    try:
        from schema.audit_chain import GENESIS
        from schema.models import AuditChainHead

        head = await AuditChainHead.get(id=1)
        assert (head.seq, head.hash) == (0, GENESIS)
    finally:
        await close_db()
