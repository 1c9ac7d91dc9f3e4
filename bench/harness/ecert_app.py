"""The real ecert app for uvicorn's ``--factory`` (what ``ecert serve`` builds, from the
environment), so the bench can pass uvicorn options ``ecert serve`` has none of (workers)."""

from __future__ import annotations

from starlette.applications import Starlette

from graphql_api.app import build_app
from graphql_api.observability import configure_logging
from schema.http_edge.settings import load_settings

__all__ = ["create_app"]


def create_app() -> Starlette:
    settings = load_settings()
    configure_logging(settings.log_level)
    return build_app(settings)
