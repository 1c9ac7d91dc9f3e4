"""Generate docs/error-codes.md, the catalogue of machine error codes, from the source.

    python scripts/error_codes.py            # write docs/error-codes.md
    python scripts/error_codes.py --check    # exit 1 if the checked-in file is stale

The source is read, not imported (``ast``), so the catalogue never depends on a database or
on settings. A code is found where the code makes a refusal:

* the members of every ``…Code`` ``StrEnum`` (``RuleCode``, ``FormCode``, ``FileCode``,
  ``PhotoErrorCode``), with the comment of their group;
* every call constructing an error or a problem — ``RuleViolation``, ``RuleWarning``,
  ``Problem``, ``PhotoRejected``, ``FileRefused``, ``PhotoEntryRefused``, ``InvalidInput.one``
  and the ``DomainError`` family
  (``NotFound(…, code="…")``) — with its Chinese message, its input field and the function
  it is in;
* the ``default_code`` of each ``DomainError`` class (a bare ``Forbidden()``).

The GraphQL operations that can return a code are the resolvers (``graphql_api/mutations``,
``graphql_api/queries``) that call the function where the code is raised, directly.
Transport refusals (HTTP 4xx before GraphQL runs) carry no code: they are listed apart.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "error-codes.md"
PACKAGES = ("graphql_api", "schema", "verify_page", "crypto")
EXCLUDED = ("schema/migrations",)
RESOLVER_DIRS = ("graphql_api/mutations", "graphql_api/queries")

# Constructors whose first positional argument is the code and the second the message.
CODE_FIRST = frozenset(
    {
        "RuleViolation",
        "RuleWarning",
        "Problem",
        "PhotoRejected",
        "FileRefused",
        "PhotoEntryRefused",
        "one",
    }
)
WARNINGS = frozenset({"RuleWarning"})
CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^[A-Z]{4,}$")

# What each kind of refusal means (schema/errors.py, schema/rules/errors.py).
KIND_MEANINGS = {
    "DomainError": "the operation could not be completed",
    "InvalidInput": "an input value is wrong; nothing was changed",
    "NotAuthenticated": "no valid session: log in first",
    "Forbidden": "the role or authority of the caller does not allow this",
    "NotFound": "the record does not exist for this caller (another's record looks the same)",
    "Conflict": "a uniqueness rule: the record already exists",
    "InvalidState": "the record's current state does not allow the action",
    "RateLimited": "too many attempts: wait and retry",
    "PhotoRejected": "the photo was refused; upload another",
    "RuleViolation": "the input breaks a rule of the notice and cannot be accepted as is",
    "RuleWarning": "accepted, but the person is asked to check the value (a warning)",
    "Problem": "an input value is wrong (one of possibly several problems)",
    "FileRefused": "the collection file or photo ZIP is refused as a whole; nothing is loaded",
    "PhotoEntryRefused": "a photo in the ZIP cannot be used; its row is reported",
    "one": "an input value is wrong; nothing was changed",
}
ENUM_KIND_MEANINGS = {
    "RuleCode": "a rule of the notice (schema/rules)",
    "FormCode": "the registration form (schema/registration_form.py)",
    "FileCode": "a collection file as read (schema/collection/files.py): a report line",
    "PhotoErrorCode": "the photo checks (schema/photos.py)",
}


@dataclass
class Site:
    """One place where a code is made."""

    module: str
    function: str
    kind: str
    message: str | None
    field: str | None


@dataclass
class Entry:
    code: str
    enum: str | None = None
    group: str | None = None
    warning: bool = False
    sites: list[Site] = field(default_factory=list)
    default_of: list[str] = field(default_factory=list)


def source_files(root: Path = ROOT) -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if not relative.startswith(EXCLUDED):
                yield path


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _text(node: ast.expr | None, constants: dict[str, str] | None = None) -> str | None:
    """A literal message as written (or a module constant holding one); an f-string with its
    placeholders shown as ``{…}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and constants:
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("{…}")
        return "".join(parts)
    return None


@dataclass
class Scan:
    """Everything read from the source."""

    enums: dict[str, dict[str, tuple[str, str | None, bool]]]  # enum → member → (code, group, warn)
    error_classes: dict[str, str]  # DomainError subclass → its parent
    default_codes: dict[str, tuple[str, str | None]]  # class → (default code, default message)
    sites: dict[str, list[Site]]
    transport: list[tuple[int, str, str]]  # (status, message, function)
    resolvers: dict[str, set[str]]  # called function name → GraphQL fields calling it


def _enum_members(node: ast.ClassDef, lines: list[str]) -> dict[str, tuple[str, str | None, bool]]:
    members: dict[str, tuple[str, str | None, bool]] = {}
    group: str | None = None
    previous_end = node.body[0].lineno - 1 if node.body else node.lineno
    for statement in node.body:
        for line in lines[previous_end : statement.lineno - 1]:
            stripped = line.strip()
            if stripped.startswith("#"):
                group = stripped.lstrip("# ").strip()
        previous_end = statement.end_lineno or statement.lineno
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if isinstance(target, ast.Name) and isinstance(statement.value, ast.Constant):
            line = lines[statement.lineno - 1]
            warning = "# warning" in line
            members[target.id] = (str(statement.value.value), group, warning)
    return members


def _bases(node: ast.ClassDef) -> list[str]:
    return [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every node with the qualified name of the function (or class) enclosing it."""

    def walk(node: ast.AST, scope: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{scope}.{child.name}" if scope else child.name
                yield inner, child
                yield from walk(child, inner)
            else:
                yield scope, child
                yield from walk(child, scope)

    yield from walk(tree, "")


def scan(root: Path = ROOT) -> Scan:
    trees: dict[str, tuple[ast.Module, list[str]]] = {}
    for path in source_files(root):
        text = path.read_text(encoding="utf-8")
        trees[path.relative_to(root).as_posix()] = (ast.parse(text), text.splitlines())

    enums: dict[str, dict[str, tuple[str, str | None, bool]]] = {}
    parents: dict[str, str] = {}
    defaults: dict[str, tuple[str, str | None]] = {}
    for tree, lines in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = _bases(node)
            if "StrEnum" in bases and node.name.endswith("Code"):
                enums[node.name] = _enum_members(node, lines)
            if bases:
                parents[node.name] = bases[0]
            assigned = {
                t.id: s.value
                for s in node.body
                if isinstance(s, ast.Assign)
                for t in s.targets
                if isinstance(t, ast.Name)
            }
            code = assigned.get("default_code")
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                defaults[node.name] = (code.value, _text(assigned.get("default_message")))

    def is_error_class(name: str) -> bool:
        seen = set()
        while name in parents and name not in seen:
            if name == "DomainError":
                return True
            seen.add(name)
            name = parents[name]
        return name == "DomainError"

    error_classes = {name: parents.get(name, "") for name in parents if is_error_class(name)}
    error_classes["DomainError"] = "Exception"

    # Codes kept in module constants (``QR_TOO_LONG = "CONTENT_TOO_LONG_FOR_QR"``), wherever
    # they are imported.
    named_codes = {
        t.id: s.value.value
        for tree, _ in trees.values()
        for s in tree.body
        if isinstance(s, ast.Assign)
        and isinstance(s.value, ast.Constant)
        and isinstance(s.value.value, str)
        and CODE_PATTERN.match(s.value.value)
        for t in s.targets
        if isinstance(t, ast.Name) and t.id.isupper()
    }

    def resolve(node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Name) and node.id in named_codes:
            return named_codes[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value if CODE_PATTERN.match(node.value) else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            member = enums.get(node.value.id, {}).get(node.attr)
            return member[0] if member else None
        return None

    sites: dict[str, list[Site]] = defaultdict(list)
    transport: list[tuple[int, str, str]] = []
    for module, (tree, _) in trees.items():
        constants = {
            t.id: s.value.value
            for s in tree.body
            if isinstance(s, ast.Assign)
            and isinstance(s.value, ast.Constant)
            and isinstance(s.value.value, str)
            for t in s.targets
            if isinstance(t, ast.Name)
        }
        for scope, node in _functions(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            if name == "_RequestError" and node.args:
                status = node.args[0]
                message = _text(node.args[1]) if len(node.args) > 1 else None
                if isinstance(status, ast.Constant) and message:
                    transport.append((int(status.value), message, f"{module}:{scope}"))
                continue
            if name in CODE_FIRST:
                code_node = node.args[0] if node.args else keywords.get("code")
                message_node = node.args[1] if len(node.args) > 1 else keywords.get("message")
                field_node = node.args[2] if len(node.args) > 2 else keywords.get("field")
                kind = "InvalidInput" if name == "one" else name
            elif name in error_classes:
                code_node = keywords.get("code")
                message_node = node.args[0] if node.args else keywords.get("message")
                field_node = keywords.get("field")
                kind = name
                if code_node is None and name in defaults:
                    code_node = ast.Constant(defaults[name][0])
                    if message_node is None:
                        message_node = ast.Constant(defaults[name][1])
            else:
                # Any other call handing an enum code on (a file note, a cell note, a helper):
                # the code, then its message when one follows.
                enum_args = [i for i, a in enumerate(node.args) if _is_enum_code(a, enums)]
                if not enum_args:
                    continue
                at = enum_args[0]
                code_node = node.args[at]
                message_node = node.args[at + 1] if len(node.args) > at + 1 else None
                field_node = None
                kind = name or "call"
            code = resolve(code_node)
            if code is None:
                continue  # a code passed through a variable: its enum or literal is found
            sites[code].append(
                Site(
                    module=module,
                    function=scope or "(module)",
                    kind=kind,
                    message=_text(message_node, constants),
                    field=_text(field_node, constants),
                )
            )

    resolvers: dict[str, set[str]] = defaultdict(set)
    for module, (tree, _) in trees.items():
        if not module.startswith(RESOLVER_DIRS):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            if not any(d.startswith("strawberry.") for d in decorators):
                continue
            graphql_name = _camel(node.name)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and (called := _call_name(inner)):
                    resolvers[called].add(graphql_name)
    return Scan(enums, error_classes, defaults, dict(sites), transport, dict(resolvers))


def _is_enum_code(
    node: ast.expr, enums: dict[str, dict[str, tuple[str, str | None, bool]]]
) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.attr in enums.get(node.value.id, {})
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def entries(found: Scan) -> dict[str, Entry]:
    catalogue: dict[str, Entry] = {}
    for enum, members in found.enums.items():
        for code, group, warning in members.values():
            entry = catalogue.setdefault(code, Entry(code))
            entry.enum, entry.group = enum, group
            entry.warning = entry.warning or warning
    for code, sites in found.sites.items():
        entry = catalogue.setdefault(code, Entry(code))
        entry.sites.extend(sites)
        entry.warning = entry.warning or all(s.kind in WARNINGS for s in sites)
    for cls, (code, _) in found.default_codes.items():
        catalogue.setdefault(code, Entry(code)).default_of.append(cls)
    return dict(sorted(catalogue.items()))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _meaning(entry: Entry) -> str:
    parts = []
    if entry.enum:
        parts.append(ENUM_KIND_MEANINGS.get(entry.enum, entry.enum))
    if entry.group:
        parts.append(entry.group)
    kinds = sorted({s.kind for s in entry.sites})
    if entry.warning:
        parts.append(KIND_MEANINGS["RuleWarning"])
    else:
        parts.extend(KIND_MEANINGS[k] for k in kinds if k in KIND_MEANINGS)
    for cls in entry.default_of:
        parts.append(f"default code of `{cls}`: {KIND_MEANINGS.get(cls, cls)}")
    return "; ".join(dict.fromkeys(parts)) or "see the message"


def _where(entry: Entry, resolvers: dict[str, set[str]]) -> str:
    places = []
    operations: set[str] = set()
    for site in entry.sites:
        function = site.function.split(".")[-1]
        place = f"`{site.module}` {site.function}"
        if site.field:
            place += f" (field `{site.field}`)"
        places.append(place)
        operations |= resolvers.get(function, set())
    text = "; ".join(dict.fromkeys(places)) or "—"
    if operations:
        text += "<br>GraphQL: " + ", ".join(f"`{op}`" for op in sorted(operations))
    return text


def _messages(entry: Entry, defaults: dict[str, tuple[str, str | None]]) -> str:
    messages = [s.message for s in entry.sites if s.message]
    for cls in entry.default_of:
        if defaults[cls][1]:
            messages.append(defaults[cls][1] or "")
    return "<br>".join(_cell(m) for m in dict.fromkeys(messages)) or "(composed at run time)"


HEADER = """# Error codes

<!-- Generated by `python scripts/error_codes.py` from the source; do not edit by hand.
     `make test` fails when this file is stale (`scripts/error_codes.py --check`). -->

Every refusal the API makes carries a stable machine code (UPPER_SNAKE, never renamed) and a
Chinese message to show the user. Clients branch on the code, never on the message. A code
reaches the client in one of four places:

| Where | Shape |
| --- | --- |
| A mutation's payload union | `... on UserErrors { errors { code message field ref } }`; `field` is the input path, e.g. `["input", "idNumber"]`; one refusal may list several problems |
| A query or a role gate | a GraphQL error with `extensions.code`, e.g. `UNAUTHENTICATED`, `FORBIDDEN`, `CURSOR_INVALID` |
| A plain HTTP route (reports, photos, QR files, templates, lookup) | JSON `{"error": {"code", "message"}}` with a 4xx status |
| A collection job's report | `importReport { lines { code message } }` and the downloaded report files |

Warnings (`warnings { code message field }` on a saved step) use the same codes: the value
was accepted, the person should check it.

**Where** names the module and function making the code (and the input field), then the GraphQL
operations whose resolver calls that function directly; rules checked deeper (the notice's
rules behind `saveRegistration*`, `submitRegistration`, `startImport` and
`importTitleSystemResults`) name their rule module.

| Code | Chinese message(s) | Where | Meaning |
| --- | --- | --- | --- |
"""

TRANSPORT_HEADER = """
## Transport refusals (no code)

Refused by the GraphQL transport (`graphql_api/transport.py`) before GraphQL runs: an HTTP 4xx
status and `{"errors": [{"message"}]}` in English, for client developers rather than users.

| Status | Message |
| --- | --- |
"""


def render(found: Scan | None = None) -> str:
    found = found or scan()
    lines = [HEADER]
    for entry in entries(found).values():
        lines.append(
            f"| `{entry.code}` | {_messages(entry, found.default_codes)} | "
            f"{_where(entry, found.resolvers)} | {_cell(_meaning(entry))} |\n"
        )
    lines.append(TRANSPORT_HEADER)
    for status, message in sorted({(s, m) for s, m, _ in found.transport}):
        lines.append(f"| {status} | {_cell(message)} |\n")
    return "".join(lines)


def documented_codes(text: str) -> set[str]:
    """The codes a rendered catalogue lists (the first cell of each table row)."""
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.M))


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(list(argv) if argv is not None else None)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python scripts/error_codes.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(documented_codes(text))} codes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
