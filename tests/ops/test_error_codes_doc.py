"""docs/error-codes.md lists every machine code the source can return, and is up to date."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from scripts.error_codes import OUTPUT, documented_codes, render, source_files

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{4,}$")
# Calls whose first positional argument is an error code.
CODE_FIRST_CALLS = {"Problem", "one"}
CODE_FIRST_SUFFIXES = ("Violation", "Warning", "Rejected", "Refused")


def _literal_code(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return node.value
    return None


def codes_in_source() -> dict[str, str]:
    """Every code literal used to make an error, found independently of the generator:
    ``code="…"`` keywords, the first argument of the error constructors, ``default_code``,
    and the members of the ``…Code`` enums. Code → first place it was seen."""
    found: dict[str, str] = {}
    for path in source_files(ROOT):
        where = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            candidates: list[ast.expr] = []
            if isinstance(node, ast.Call):
                candidates += [k.value for k in node.keywords if k.arg == "code"]
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if node.args and (name in CODE_FIRST_CALLS or name.endswith(CODE_FIRST_SUFFIXES)):
                    candidates.append(node.args[0])
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "default_code" for t in node.targets):
                    candidates.append(node.value)
            elif isinstance(node, ast.ClassDef) and node.name.endswith("Code"):
                candidates += [s.value for s in node.body if isinstance(s, ast.Assign)]
            for candidate in candidates:
                if code := _literal_code(candidate):
                    found.setdefault(code, f"{where}:{candidate.lineno}")
    return found


def test_every_code_in_the_source_is_documented() -> None:
    documented = documented_codes(OUTPUT.read_text(encoding="utf-8"))
    missing = {c: at for c, at in codes_in_source().items() if c not in documented}
    assert not missing, f"codes missing from {OUTPUT.name}: {missing}"


def test_the_checked_in_catalogue_is_the_generated_one() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(), (
        "docs/error-codes.md is stale: run python scripts/error_codes.py"
    )
