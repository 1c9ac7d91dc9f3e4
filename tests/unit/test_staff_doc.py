"""Every GraphQL operation docs/staff.md shows is valid against the schema."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, validate

from graphql_api.root import schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "staff.md"


def test_the_documented_operations_are_valid() -> None:
    operations = re.findall(r"```graphql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(operations) == 4
    for operation in operations:
        errors = validate(schema._schema, parse(operation))
        assert not errors, f"{errors}\n{operation}"
