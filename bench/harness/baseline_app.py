"""The baselines, one Starlette app for uvicorn's ``--factory`` (``create_app``):

* ``GET /row/{id}``: one row of the same ``certificate`` table fetched by primary key with
  raw asyncpg (PostgreSQL) or aiosqlite (SQLite), returned as JSON — what a scan costs at
  least (``BENCH_BASELINE_DATABASE``: the database URL);
* ``GET /json``: a bare JSON route (the HTTP stack alone);
* ``POST /graphql``: a default Strawberry schema served by Strawberry's stock Starlette
  ``GraphQL`` app (no extensions, no caches), with the same shape as ecert's
  ``myCertificates`` and ``reference { levels authorities }``, resolved from memory.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from schema.reference.catalog import load_catalog

__all__ = ["ROW_COLUMNS", "build_schema", "create_app"]

ROW_COLUMNS = (
    "id, cert_id, version, number, holder_name, holder_id_masked, level, series_code, "
    "title_name, specialty, authority_code, review_body, obtained_on, issued_on, status, "
    "signed_at, check_code"
)
_ROW_SQL = f"SELECT {ROW_COLUMNS} FROM certificate WHERE id = "


@strawberry.enum
class CertificateStatus(enum.Enum):
    VALID = "VALID"
    SUPERSEDED = "SUPERSEDED"
    REVOKED = "REVOKED"


@strawberry.enum
class AuthorityKind(enum.Enum):
    MUNICIPAL = "MUNICIPAL"
    DISTRICT = "DISTRICT"
    ZONE = "ZONE"
    DEPARTMENT = "DEPARTMENT"
    UNIT = "UNIT"


@strawberry.type
class Certificate:
    cert_id: strawberry.ID
    number: str
    version: int
    status: CertificateStatus
    status_label: str
    holder_name: str
    holder_id_masked: str
    level: str
    level_name: str | None
    series: str
    series_name: str | None
    title_name: str
    specialty: str
    obtained_on: date
    issued_on: date


@strawberry.type
class CertificateEdge:
    cursor: str
    node: Certificate


@strawberry.type
class CertificateConnection:
    edges: list[CertificateEdge]


@strawberry.type
class Level:
    code: str
    name: str
    band_name: str
    digit: int
    is_senior: bool


@strawberry.type
class Authority:
    code: str
    kind: AuthorityKind
    name: str
    display_name: str
    short_name: str | None
    aliases: list[str]
    fixed_for_senior: bool
    review_body_name: str


@strawberry.type
class Reference:
    levels: list[Level]
    authorities: list[Authority]


_CERTIFICATE = Certificate(
    cert_id=strawberry.ID("SLFTDGPJCX7PCYQI7GBK6PWUTM"),
    number="011320210500001",
    version=1,
    status=CertificateStatus.VALID,
    status_label="有效",
    holder_name="张三",
    holder_id_masked="5001**********0238",
    level="ZHONG",
    level_name="中级",
    series="05",
    series_name="工程技术人员",
    title_name="工程师",
    specialty="给排水",
    obtained_on=date(2021, 12, 24),
    issued_on=date(2021, 12, 30),
)


def _reference() -> Reference:
    catalog = load_catalog()
    return Reference(
        levels=[
            Level(
                code=lv.code,
                name=lv.name,
                band_name=lv.band_name,
                digit=lv.digit,
                is_senior=lv.band.value == "GAO",
            )
            for lv in catalog.levels
        ],
        authorities=[
            Authority(
                code=a.code,
                kind=AuthorityKind(a.kind.value),
                name=a.name,
                display_name=a.display_name,
                short_name=a.short_name,
                aliases=list(a.aliases),
                fixed_for_senior=a.fixed_for_senior,
                review_body_name=a.title_office or a.name,
            )
            for a in catalog.authorities
        ],
    )


def build_schema() -> strawberry.Schema:
    """A stock ``strawberry.Schema`` resolving everything from memory."""
    reference = _reference()

    @strawberry.type
    class Query:
        @strawberry.field
        def my_certificates(self, first: int = 20) -> CertificateConnection:
            edges = [CertificateEdge(cursor="Y3Vyc29yOjE=", node=_CERTIFICATE)]
            return CertificateConnection(edges=edges[:first])

        @strawberry.field
        def reference(self) -> Reference:
            return reference

    return strawberry.Schema(query=Query)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def _bare_json(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "service": "baseline"})


def create_app() -> Starlette:
    url = os.environ.get("BENCH_BASELINE_DATABASE", "")
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if url.startswith("sqlite://"):
            import aiosqlite

            state["sqlite"] = await aiosqlite.connect(url.removeprefix("sqlite://"))
            state["sqlite"].row_factory = aiosqlite.Row
        elif url:
            import asyncpg

            state["pg"] = await asyncpg.create_pool(url, min_size=1, max_size=10)
        try:
            yield
        finally:
            if "sqlite" in state:
                await state["sqlite"].close()
            if "pg" in state:
                await state["pg"].close()

    async def row(request: Request) -> JSONResponse:
        pk = int(request.path_params["pk"])
        if "pg" in state:
            record = await state["pg"].fetchrow(_ROW_SQL + "$1", pk)
        else:
            async with state["sqlite"].execute(_ROW_SQL + "?", (pk,)) as cursor:
                record = await cursor.fetchone()
        if record is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse({k: _jsonable(record[k]) for k in record.keys()})

    return Starlette(
        routes=[
            Route("/row/{pk:int}", row),
            Route("/json", _bare_json),
            Route("/graphql", GraphQL(build_schema(), graphql_ide=None), methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
