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
from tests.support.settings import test_pii


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
    # To the latest: adds columns and tables (0006 seals the mobile number with the keys).
    await migrate(empty_database_url, pii=test_pii())
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


_ACCOUNT_AT_0005 = (
    "INSERT INTO account (public_id, name, id_number_hmac, id_number_cipher, "
    "id_number_masked, birth_date, mobile, password_hash, role, is_active, "
    "failed_login_count, password_changed_at, created_at, updated_at) VALUES "
    "('{pid}', '张三', '{hmac}', '{cipher}', '5001**********0238', '1985-03-12', "
    "'{mobile}', 'x', 'applicant', TRUE, 0, '2026-01-01 00:00:00+00:00', "
    "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
)


async def _accounts_at_0005(url: str) -> set[str]:
    """Two accounts with a clear birth date and mobile, as 0005 stored them; returns the
    account table's indexes."""
    forget_cached_sql()
    await migrate(url, target="models.0005_enum_fields")
    await open_db(url)
    try:
        conn = Tortoise.get_connection("default")
        pii = test_pii()
        for pid, mobile in (("p1", "13812341234"), ("p2", "13900002222")):
            await conn.execute_query(
                _ACCOUNT_AT_0005.format(
                    pid=pid, hmac="h" + pid, cipher=pii.seal("500112198503120238"), mobile=mobile
                )
            )
        return await _indexes("account")
    finally:
        await close_db()


async def _dump(table: str) -> str:
    conn = Tortoise.get_connection("default")
    _, rows = await conn.execute_query(f"SELECT * FROM {table}")  # noqa: S608  # a constant
    return repr([dict(r) for r in rows])


async def test_accounts_from_0005_upgrade_to_sealed_mobiles_and_no_birth_date(
    empty_database_url,
):
    before = await _accounts_at_0005(empty_database_url)
    forget_cached_sql()
    await migrate(empty_database_url, pii=test_pii())
    await open_db(empty_database_url)
    try:
        from schema.models import Account
        from schema.services.account_pii import account_mobile, accounts_with_mobile

        columns = await _columns("account")
        assert {"birth_date", "mobile"} & columns == set()
        dump = await _dump("account")
        for clear in ("13812341234", "13900002222", "1985-03-12", "19850312"):
            assert clear not in dump
        pii = test_pii()
        account = await Account.get(public_id="p2")
        assert (account_mobile(account, pii), account.mobile_masked) == (
            "13900002222",
            "139****2222",
        )
        assert [a.public_id for a in await accounts_with_mobile(pii, "139-0000-2222")] == ["p2"]
        # No table rebuild: the unique indexes are still there, and the lookup index is new.
        assert before < await _indexes("account")
    finally:
        await close_db()


async def test_sealing_mobiles_without_keys_refuses_and_changes_nothing(empty_database_url):
    from schema.pii_migration import PiiKeysRequired

    before = await _accounts_at_0005(empty_database_url)
    forget_cached_sql()
    with pytest.raises(PiiKeysRequired, match="ecert migrate"):
        await migrate(empty_database_url)
    await open_db(empty_database_url)
    try:
        assert {"birth_date", "mobile"} <= await _columns("account")
        assert "mobile_cipher" not in await _columns("account")
        assert await _indexes("account") == before
        assert "13812341234" in await _dump("account")
    finally:
        await close_db()


async def test_account_indexes_survive_on_sqlite(tmp_path):
    """On SQLite the account table is never rebuilt: its unique constraints and the mobile
    lookup index are in sqlite_master after every migration."""
    url = f"sqlite://{tmp_path / 'indexes.sqlite3'}"
    await _accounts_at_0005(url)
    forget_cached_sql()
    await migrate(url, pii=test_pii())
    await open_db(url)
    try:
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'account'"
        )
        _, unique = await conn.execute_query("PRAGMA index_list(account)")
        unique_columns = set()
        for index in unique:
            if index["unique"]:
                _, cols = await conn.execute_query(f'PRAGMA index_info("{index["name"]}")')
                unique_columns |= {c["name"] for c in cols}
        assert {"public_id", "id_number_hmac"} <= unique_columns
        assert any("mobile_hmac" in (r["sql"] or "") for r in rows)
        from tortoise.exceptions import IntegrityError

        with pytest.raises(IntegrityError):  # one account per ID number, still enforced
            await conn.execute_query(
                "INSERT INTO account (public_id, name, id_number_hmac, id_number_cipher, "
                "id_number_masked, password_hash, role, is_active, failed_login_count, "
                "password_changed_at, created_at, updated_at) VALUES ('p9', '李四', 'hp1', "
                "'c', 'm', 'x', 'applicant', TRUE, 0, '2026-01-01 00:00:00+00:00', "
                "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
            )
    finally:
        await close_db()


async def _index_columns(table: str) -> set[tuple[str, ...]]:
    """The column lists of every index on ``table`` (unique or not, primary key excluded)."""
    conn = Tortoise.get_connection("default")
    found: set[tuple[str, ...]] = set()
    if conn.capabilities.dialect == "sqlite":
        _, indexes = await conn.execute_query(f'PRAGMA index_list("{table}")')
        for index in indexes:
            _, cols = await conn.execute_query(f'PRAGMA index_info("{index["name"]}")')
            found.add(tuple(c["name"] for c in sorted(cols, key=lambda c: c["seqno"])))
        return found
    _, rows = await conn.execute_query(
        "SELECT array_to_string(array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY"
        " k(n, o) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o),"
        " ',') AS cols FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid"
        " WHERE t.relname = $1 AND NOT ix.indisprimary",
        [table],
    )
    return {tuple(r["cols"].split(",")) for r in rows}


async def test_every_index_the_models_declare_exists_after_migrating(empty_database_url):
    """No migration may lose an index (SQLite's table rebuilds did, for ``registration``):
    each ``db_index``/``unique`` field, ``Meta.indexes`` and ``unique_together`` entry of
    every model has its index in a freshly migrated database."""
    forget_cached_sql()
    await migrate(empty_database_url, pii=test_pii())
    await open_db(empty_database_url)
    try:
        missing = []
        for model in Tortoise.apps["models"].values():
            meta = model._meta
            wanted: set[tuple[str, ...]] = set()
            for name, field in meta.fields_map.items():
                if (field.index or field.unique) and not field.pk and name in meta.db_fields:
                    wanted.add((field.source_field or name,))
            for group in (*meta.indexes, *meta.unique_together):
                if isinstance(group, tuple | list):
                    wanted.add(tuple(meta.fields_map[f].source_field or f for f in group))
            have = await _index_columns(meta.db_table)
            missing += [f"{meta.db_table}{cols}" for cols in sorted(wanted - have)]
        assert not missing, f"indexes missing after migrating: {missing}"
    finally:
        await close_db()
