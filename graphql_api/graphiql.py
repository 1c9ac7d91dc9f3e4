"""The GraphiQL page, served from locally installed npm assets instead of a CDN.

Strawberry's template loads react, react-dom, graphiql, @graphiql/plugin-explorer and
js-cookie from a public CDN. The service must work without internet access, so the
same files are installed at set-up time by ``scripts/fetch_graphiql_assets.py`` into
``<vendor_dir>/<name>@<version>/<path>`` — the CDN's own layout — and the template's
CDN origin is swapped for our ``vendor_url``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

__all__ = [
    "DEFAULT_VENDOR_DIR",
    "VendorAsset",
    "render_graphiql_page",
    "template_assets",
    "vendor_static_app",
]

logger = logging.getLogger("ecert.graphql")

#: Where ``make assets`` installs the files (git-ignored).
DEFAULT_VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"

# A <script> or <link> start tag; attributes may span several lines and quoted values may
# contain ">" (the favicon's inline SVG does).
_TAG_RE = re.compile(r"""<(?:script|link)\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
# An absolute http(s) URL in src/href. data: URLs (the favicon) do not match.
_URL_ATTR_RE = re.compile(
    r"""\b(?P<attr>src|href)\s*=\s*"(?P<url>https?://[^"]*)\"""", re.IGNORECASE
)
_INTEGRITY_RE = re.compile(r"""\s+integrity\s*=\s*"(?P<value>[^"]*)\"""", re.IGNORECASE)
# CDN path layout: /<name>@<version>/<file>, name optionally scoped (@scope/name).
_PACKAGE_PATH_RE = re.compile(
    r"^/(?P<name>(?:@[A-Za-z0-9._~-]+/)?[A-Za-z0-9._~-]+)@(?P<version>[A-Za-z0-9.+_-]+)"
    r"/(?P<file>[A-Za-z0-9._~@/-]+)$"
)
_SRI_ALGORITHMS = {"sha256", "sha384", "sha512"}


@dataclass(frozen=True, slots=True)
class VendorAsset:
    """One CDN file the GraphiQL template loads: ``<name>@<version>/<file>``."""

    name: str
    version: str
    file: str
    integrity: str | None

    @property
    def relative_path(self) -> str:
        """Path below the vendor directory / URL, identical to the CDN path."""
        return f"{self.name}@{self.version}/{self.file}"


class _UnsupportedTemplateError(RuntimeError):
    """The installed Strawberry template loads something we cannot serve locally."""


def _parse_tag(tag: str) -> tuple[re.Match[str], VendorAsset] | None:
    url_match = _URL_ATTR_RE.search(tag)
    if url_match is None:
        return None
    parts = urlsplit(url_match["url"])
    path_match = _PACKAGE_PATH_RE.match(parts.path)
    if path_match is None or parts.query or parts.fragment or ".." in parts.path.split("/"):
        # Failing closed: serving the page would make the browser fetch from the internet.
        raise _UnsupportedTemplateError(f"cannot map external URL {url_match['url']!r}")
    integrity = _INTEGRITY_RE.search(tag)
    asset = VendorAsset(
        name=path_match["name"],
        version=path_match["version"],
        file=path_match["file"],
        integrity=integrity["value"] if integrity else None,
    )
    return url_match, asset


def template_assets(template: str | None = None) -> list[VendorAsset]:
    """List the external files a GraphiQL template loads (default: Strawberry's own).

    Raises ``RuntimeError`` if the template references an external URL that is not
    an npm package file, because such a page cannot be served without internet.
    """
    text = get_graphql_ide_html("graphiql") if template is None else template
    assets: list[VendorAsset] = []
    for tag in _TAG_RE.finditer(text):
        parsed = _parse_tag(tag.group(0))
        if parsed is not None:
            assets.append(parsed[1])
    return assets


@lru_cache(maxsize=64)
def _file_digest(path: str, algorithm: str, _size: int, _mtime_ns: int) -> str:
    # Keyed on size and mtime so that re-installed files are hashed again.
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, algorithm).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def _integrity_matches(path: Path, integrity: str) -> bool:
    # An integrity attribute may list several hashes; one match is enough for browsers.
    stat = path.stat()
    for token in integrity.split():
        algorithm = token.split("-", 1)[0].lower()
        if algorithm in _SRI_ALGORITHMS and token == _file_digest(
            str(path), algorithm, stat.st_size, stat.st_mtime_ns
        ):
            return True
    return False


def _rewrite_tag(tag: str, vendor_url: str, vendor_dir: Path) -> str:
    parsed = _parse_tag(tag)
    if parsed is None:
        return tag
    url_match, asset = parsed
    local_url = html.escape(f"{vendor_url}/{asset.relative_path}", quote=True)
    new_tag = f'{tag[: url_match.start()]}{url_match["attr"]}="{local_url}"{tag[url_match.end() :]}'
    # Same bytes as the CDN's, so the template's SRI hash normally still holds and we keep
    # it (it also protects the local copy). Only a mismatch would break loading: drop it.
    if asset.integrity and not _integrity_matches(
        vendor_dir / asset.relative_path, asset.integrity
    ):
        logger.warning("GraphiQL asset %s does not match its integrity hash", asset.relative_path)
        new_tag = _INTEGRITY_RE.sub("", new_tag, count=1)
    return new_tag


_MISSING_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>GraphiQL 不可用 / GraphiQL unavailable</title></head>
<body style="font-family: sans-serif; max-width: 46em; margin: 3em auto; line-height: 1.6">
<h1>GraphiQL 不可用 / GraphiQL unavailable</h1>
<p>GraphiQL 所需的前端文件尚未安装。GraphQL 接口本身工作正常，只是此调试页面不可用。
请在项目目录下运行 <code>make assets</code>（需要 npm），然后刷新本页。</p>
<p>The front-end files GraphiQL needs are not installed. The GraphQL API itself works;
only this page is unavailable. Run <code>make assets</code> (needs npm) in the project
directory, then reload this page.</p>
<p>缺少的文件 / Missing files:</p>
<ul>{items}</ul>
</body>
</html>
"""


def _unavailable(missing: list[str]) -> HTMLResponse:
    items = "".join(f"<li><code>{html.escape(name)}</code></li>" for name in missing)
    return HTMLResponse(
        _MISSING_PAGE.format(items=items),
        status_code=503,
        headers={"Cache-Control": "no-store"},
    )


def render_graphiql_page(vendor_url: str, vendor_dir: Path) -> HTMLResponse:
    """Render Strawberry's GraphiQL page with every CDN URL pointing at ``vendor_url``.

    ``vendor_url`` is where :func:`vendor_static_app` serving ``vendor_dir`` is mounted.
    If any file is missing, a bilingual 503 page explains how to install them.
    """
    vendor_url = vendor_url.rstrip("/")
    # Strawberry's ASGI views serve this template as-is (no placeholders to fill in the
    # installed version); we do the same apart from the asset URLs.
    template = get_graphql_ide_html("graphiql")
    try:
        assets = template_assets(template)
    except _UnsupportedTemplateError as exc:
        logger.error("GraphiQL template not supported: %s", exc)
        return _unavailable([str(exc)])
    missing = [a.relative_path for a in assets if not (vendor_dir / a.relative_path).is_file()]
    if missing:
        return _unavailable(missing)
    page = _TAG_RE.sub(lambda m: _rewrite_tag(m.group(0), vendor_url, vendor_dir), template)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})


def vendor_static_app(vendor_dir: Path = DEFAULT_VENDOR_DIR) -> StaticFiles:
    """A Starlette app serving the installed assets; mount it at the ``vendor_url``.

    ``check_dir=False`` because the directory legitimately may not exist (npm missing);
    the API must start anyway.
    """
    return StaticFiles(directory=vendor_dir, check_dir=False)
