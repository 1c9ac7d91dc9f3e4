"""Bulk import throughput: `import_title_system_results` against a bare ORM insert baseline.

Both run in the same process on the same fresh database, so the ratio says how much the
checks (ID number, every form rule), identity keys and audit rows cost on top of merely
writing the rows. Usage:

    uv run python bench/bench_import.py [--rows 2000] [--postgres postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
from datetime import UTC, datetime

from schema.actor import Actor
from schema.db import close_db, migrate, open_db
from schema.enums import Role
from schema.models import Registration, RegistrationStatus
from schema.pii import PiiProtector
from schema.rules import mod11_2_check_char
from schema.services.imports import import_title_system_results
from schema.services.reference import current_catalog, load_reference_data

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
IMPORTER = Actor(account_id=None, public_id="bench", name="bench", role=Role.IMPORTER)


def _id_number(i: int) -> str:
    body = f"500112{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return body + mod11_2_check_char(body)


def _records(n: int, offset: int) -> list[dict[str, str]]:
    return [
        {
            "name": "张三",
            "idNumber": _id_number(offset + i),
            "level": "ZHONG",
            "series": "05",
            "titleName": "工程师",
            "wayObtained": "PS",
            "approvalDocument": f"渝职改办〔2023〕{offset + i + 1}号",
            "obtainedOn": "2023-06-30",
            "issuedOn": "2023-08-01",
            "authority": "500112",
            "reviewBody": "重庆市工程技术中级职务渝北区评审委员会",
            "validityScope": "全市",
            "specialty": "给排水",
        }
        for i in range(n)
    ]


async def _run(url: str, rows: int) -> tuple[float, float]:
    await migrate(url)
    await open_db(url)
    try:
        await load_reference_data()
        catalog = await current_catalog()
        pii = PiiProtector(hmac_key=b"h" * 32, encryption_key=b"e" * 32)

        started = time.perf_counter()
        await Registration.bulk_create(
            [
                Registration(
                    public_id=secrets.token_hex(12),
                    holder_id_hmac=pii.lookup_hash(r["idNumber"]),
                    holder_name=r["name"],
                    status=RegistrationStatus.INCOMPLETE,
                    missing=["photo"],
                    warnings=[],
                    created_at=NOW,
                    updated_at=NOW,
                )
                for r in _records(rows, offset=100_000)
            ]
        )
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        report = await import_title_system_results(
            actor=IMPORTER, pii=pii, records=_records(rows, offset=0), catalog=catalog, now=NOW
        )
        measured = time.perf_counter() - started
        assert report.created == rows
        return baseline, measured
    finally:
        await close_db()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--postgres", default="")
    args = parser.parse_args()
    targets = [("sqlite", f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3")]
    if args.postgres:
        import asyncpg

        name = f"ecert_bench_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(f"{args.postgres}/postgres")
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        targets.append(("postgres", f"{args.postgres}/{name}"))
    print(f"rows={args.rows}")
    print(f"{'backend':10} {'baseline s':>11} {'import s':>9} {'rows/s':>8} {'ratio':>6}")
    for label, url in targets:
        from tortoise.backends.base.executor import EXECUTOR_CACHE

        EXECUTOR_CACHE.clear()
        baseline, measured = await _run(url, args.rows)
        print(
            f"{label:10} {baseline:11.3f} {measured:9.3f} {args.rows / measured:8.0f} "
            f"{measured / baseline:6.1f}"
        )
    if args.postgres:
        conn = await asyncpg.connect(f"{args.postgres}/postgres")
        await conn.execute(
            f'DROP DATABASE IF EXISTS "{targets[1][1].rsplit("/", 1)[1]}" WITH (FORCE)'
        )
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
