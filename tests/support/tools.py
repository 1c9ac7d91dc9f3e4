"""External command-line checkers (poppler, zbar): a test that needs one is skipped when it
is missing, or fails when ``ECERT_REQUIRE_BROWSER=1`` (CI installs them with the browser)."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_tool"]


def require_tool(name: str) -> str:
    """The path of ``name``; skip (or, in CI, fail) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (Debian: poppler-utils / zbar-tools)"
        if os.environ.get("ECERT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and ECERT_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return path
