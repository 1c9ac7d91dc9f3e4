"""Files of bulk collection (历史数据归集) and of photo review, over plain HTTP GET.

* ``/imports/template.xlsx|csv?kind=TITLE_SYSTEM|HISTORICAL`` — the blank templates. Public:
  they hold no data, and clerks download them before they have an account.
* ``/imports/{job_id}/report.csv|xlsx`` — a job's report, for the importer who started it
  and admins (401 without a login, 403 for other roles, 404 for anyone else's job).
* ``/registrations/{registration_id}/photo.jpg`` — a registration's photo, for its holder,
  the reviewers of its authority and admins; 404 for anyone else (its existence is not
  disclosed).

Authentication is the GraphQL endpoint's (bearer token or session cookie); these routes
only read, so a cookie needs no CSRF token. Downloads carry a Chinese file name the RFC
5987 way (``filename*=UTF-8''…``) after an ASCII fallback, and are never cached.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePath
from typing import TYPE_CHECKING, cast, get_args
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from schema.actor import Actor
from schema.collection import (
    TemplateKind,
    report_csv,
    report_xlsx,
    template_csv,
    template_xlsx,
)
from schema.enums import ImportKind, Role
from schema.errors import DomainError, Forbidden, InvalidInput, NotAuthenticated, NotFound
from schema.http_edge.auth import resolve_auth
from schema.services import registrations, review
from schema.services.collection_jobs import import_report
from schema.storage import BlobNotFound

if TYPE_CHECKING:
    from schema.http_edge.deps import Deps

__all__ = ["collection_routes", "content_disposition", "refusal"]

_CSV = "text/csv; charset=utf-8"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STATUS = {NotAuthenticated: 401, Forbidden: 403, NotFound: 404}
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_PRIVATE = {**_COMMON, "Cache-Control": "no-store"}
_TEMPLATE_ASCII = {"TITLE_SYSTEM": "title-system-template", "HISTORICAL": "historical-template"}


def content_disposition(name: str, fallback: str, *, inline: bool = False) -> str:
    """``attachment; filename="fallback"; filename*=UTF-8''<percent-encoded name>``."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def refusal(exc: DomainError, status: int | None = None) -> Response:
    status = status or next((s for k, s in _STATUS.items() if isinstance(exc, k)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}},
        status_code=status,
        headers={**headers, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def _actor(request: Request, deps: Deps) -> Actor:
    auth = await resolve_auth(request, now=deps.clock())
    if auth.actor is None:
        raise NotAuthenticated()
    return auth.actor


def collection_routes(deps: Deps) -> list[BaseRoute]:
    async def template(request: Request, extension: str) -> Response:
        raw_kind = request.query_params.get("kind", "")
        if raw_kind not in get_args(TemplateKind):
            return refusal(
                InvalidInput.one(
                    "IMPORT_KIND_INVALID", "请指定模板类型：kind=TITLE_SYSTEM或HISTORICAL", "kind"
                )
            )
        kind = cast("TemplateKind", raw_kind)  # one of its values, checked just above
        build, media = (template_xlsx, _XLSX) if extension == "xlsx" else (template_csv, _CSV)
        data = await asyncio.to_thread(build, kind)
        disposition = content_disposition(
            f"{ImportKind(kind).label}导入模板.{extension}", f"{_TEMPLATE_ASCII[kind]}.{extension}"
        )
        headers = {**_COMMON, "Cache-Control": "no-cache", "Content-Disposition": disposition}
        return Response(data, media_type=media, headers=headers)

    async def report(request: Request, extension: str) -> Response:
        job_id = request.path_params["job_id"]
        try:
            job, lines = await import_report(actor=await _actor(request, deps), job_id=job_id)
        except DomainError as exc:
            return refusal(exc)
        build, media = (report_xlsx, _XLSX) if extension == "xlsx" else (report_csv, _CSV)
        data = await asyncio.to_thread(build, lines)
        stem = PurePath(job.file_name).stem or job.public_id
        disposition = content_disposition(
            f"导入报告-{stem}.{extension}", f"import-report-{job.public_id}.{extension}"
        )
        return Response(
            data, media_type=media, headers={**_PRIVATE, "Content-Disposition": disposition}
        )

    async def photo(request: Request) -> Response:
        registration_id = request.path_params["registration_id"]
        try:
            actor = await _actor(request, deps)
        except NotAuthenticated as exc:
            return refusal(exc)
        hidden = NotFound("照片不存在", code="PHOTO_NOT_FOUND")
        try:
            if actor.role is Role.APPLICANT:
                reg = await registrations.get_own_registration(
                    actor=actor, registration_id=registration_id
                )
            else:  # reviewers of the record's authority and admins; anyone else: not found
                reg = await review.open_registration(actor=actor, registration_id=registration_id)
        except DomainError:
            return refusal(hidden, 404)
        if not reg.photo_sha256:
            return refusal(hidden, 404)
        try:
            data = await deps.store.get(reg.photo_sha256)
        except BlobNotFound:
            return refusal(hidden, 404)
        disposition = content_disposition(
            f"{registration_id}.jpg", f"{registration_id}.jpg", inline=True
        )
        return Response(
            data,
            media_type="image/jpeg",
            headers={**_PRIVATE, "Content-Disposition": disposition},
        )

    async def template_xlsx_file(request: Request) -> Response:
        return await template(request, "xlsx")

    async def template_csv_file(request: Request) -> Response:
        return await template(request, "csv")

    async def report_xlsx_file(request: Request) -> Response:
        return await report(request, "xlsx")

    async def report_csv_file(request: Request) -> Response:
        return await report(request, "csv")

    return [
        Route("/imports/template.xlsx", template_xlsx_file, name="import_template_xlsx"),
        Route("/imports/template.csv", template_csv_file, name="import_template_csv"),
        Route("/imports/{job_id}/report.xlsx", report_xlsx_file, name="import_report_xlsx"),
        Route("/imports/{job_id}/report.csv", report_csv_file, name="import_report_csv"),
        Route("/registrations/{registration_id}/photo.jpg", photo, name="registration_photo"),
    ]
