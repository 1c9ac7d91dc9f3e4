"""The bench's GraphQL documents stay valid against the public schema (schema.graphql), and
the stock-Strawberry baseline answers them with the same shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from bench.harness.baseline_app import build_schema as baseline_schema
from bench.harness.queries import (
    APPROVE,
    CERTIFICATE_FIELDS,
    LOGIN,
    MY_CERTIFICATES,
    REFERENCE,
)

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


@pytest.mark.parametrize("document", [MY_CERTIFICATES, REFERENCE, LOGIN, APPROVE])
def test_documents_are_valid_against_the_public_schema(document: str) -> None:
    schema = build_schema(SDL.read_text(encoding="utf-8"))
    assert validate(schema, parse(document)) == []


def _shape(value: object) -> object:
    """Keys (recursively) of a GraphQL answer: what a client reads, not the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def test_the_baseline_answers_my_certificates_with_fifteen_fields() -> None:
    result = baseline_schema().execute_sync(MY_CERTIFICATES)
    assert result.errors is None and result.data is not None
    node = result.data["myCertificates"]["edges"][0]["node"]
    assert tuple(node) == CERTIFICATE_FIELDS
    assert len(CERTIFICATE_FIELDS) == 15


def test_the_baseline_answers_reference_with_the_real_data() -> None:
    from schema.reference.catalog import load_catalog

    result = baseline_schema().execute_sync(REFERENCE)
    assert result.errors is None and result.data is not None
    catalog = load_catalog()
    assert len(result.data["reference"]["levels"]) == len(catalog.levels)
    assert len(result.data["reference"]["authorities"]) == len(catalog.authorities)
    shape = _shape(result.data)
    assert shape == _shape(baseline_schema().execute_sync(REFERENCE).data)
