"""The web app does not load the document libraries at import (issue 10, idle memory).

fpdf2, fontTools, pyHanko, PDFium, zxing-cpp, xlsxwriter, Pillow and procrastinate together
cost about 65 MiB per worker; they are imported where a document is drawn, sealed or read,
a photo read, a spreadsheet written or a job deferred. Smaller libraries that only some
paths need follow them (listed below with those paths). A fresh interpreter is used: this
test process has long imported them all.
"""

from __future__ import annotations

import json
import subprocess
import sys

# Top-level packages that only documents, uploaded PDFs and photos, photographed QR codes,
# XLSX files and the job queue (at the first job deferred) need.
_DEFERRED = (
    "PIL",
    "asn1crypto",
    "fontTools",
    "fpdf",
    "pyhanko",
    "pyhanko_certvalidator",
    "procrastinate",
    "psycopg",
    "pypdfium2",
    "xlsxwriter",
    "zxingcpp",
    # QR drawing and sizing (holder downloads, approvals, staff TOTP enrolment, a
    # registration's fit):
    "segno",
    # XLSX uploads, and job reads in a child process:
    "python_calamine",
    "multiprocessing",
    # password hashing (the first login or password set):
    "argon2",
    "_argon2_cffi_bindings",
    # /metrics (only with ECERT_METRICS_TOKEN):
    "prometheus_client",
    # the verification page's HTML (its first page rendered):
    "jinja2",
)
# Modules (not whole packages) that only some paths need: the web app on PostgreSQL, which
# the benchmark measures, never loads them at start-up.
_DEFERRED_MODULES = (
    # the SQLite backend (loaded when a SQLite database opens) and `ecert migrate`:
    "sqlite3",
    "tortoise.migrations",
    # the document sealing hierarchy (a PDF sealed, `ecert ca init`):
    "crypto.document_ca",
    "cryptography.x509",
    # the collection file readers (a file uploaded or a job read):
    "schema.collection.files",
    "schema.services.collection_reader",
)

_PROBE = """
import json, os, sys, tempfile
with tempfile.TemporaryDirectory() as data_dir:
    os.environ.update(ECERT_ENV="development", ECERT_DATA_DIR=data_dir)
    os.environ.pop("ECERT_DATABASE_URL", None)
    from graphql_api.app import app_from_environment
    app_from_environment()
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"the probe failed: {done.stderr[-2000:]}"
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_web_app_leaves_the_document_libraries_unloaded() -> None:
    loaded = {name.split(".")[0] for name in _loaded_after(_PROBE)}
    early = sorted(loaded.intersection(_DEFERRED))
    assert not early, f"imported with the web app, though only documents need them: {early}"


def test_importing_the_web_app_leaves_the_other_deferred_modules_unloaded() -> None:
    loaded = _loaded_after(_PROBE)
    early = sorted(name for name in _DEFERRED_MODULES if name in loaded)
    assert not early, f"imported with the web app, though it does not need them: {early}"


def _loaded_after_first_use(*lines: str) -> set[str]:
    """The modules loaded once the app is built and ``lines`` have run after it."""
    return _loaded_after(_PROBE.replace("print(", "\n".join((*lines, "print(")), 1))


def test_the_renderers_still_load_on_first_use() -> None:
    loaded = _loaded_after_first_use("from schema import documents", "documents.render_card_png")
    assert {"fpdf", "fontTools"} <= loaded, "schema.documents did not load its renderers"


def test_the_web_app_builds_one_graphql_schema() -> None:
    """graphql_api.root.schema (introspection on, for `ecert export-schema` and the tests)
    is built at first access, not beside the app's own."""
    loaded = _loaded_after_first_use(
        "from graphql_api.root import build_schema",
        "assert build_schema.cache_info().currsize == 1, build_schema.cache_info()",
    )
    assert "graphql_api.root" in loaded


def test_qr_codes_are_still_drawn_and_sized_on_first_use() -> None:
    loaded = _loaded_after_first_use(
        "from crypto.qr import qr_png",
        "from schema.qr_fit import _capacity",
        "assert qr_png('HTTPS://V.EXAMPLE/V/ABC').startswith(b'\\x89PNG')",
        "assert _capacity() > 0",
    )
    assert "segno" in loaded


def test_the_verification_page_still_renders_on_first_use() -> None:
    loaded = _loaded_after_first_use(
        "from verify_page.presenter import render_lookup",
        "assert '<html' in render_lookup(message=None)",
    )
    assert "jinja2" in loaded
