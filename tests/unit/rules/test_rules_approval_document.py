"""批准文号 normalisation and warnings (REFERENCE.md §6)."""

from datetime import date

import pytest

from schema.reference.catalog import load_catalog
from schema.rules import (
    RuleViolation,
    approval_document_warnings,
    normalize_approval_document,
)

TODAY = date(2026, 6, 1)
CANONICAL = "渝北职改办〔2022〕20号"


@pytest.mark.parametrize(
    "raw",
    [
        "渝北职改办〔2022〕20号",
        "渝北职改办[2022]20号",
        "渝北职改办［2022］20号",
        "渝北职改办(2022)20号",
        "渝北职改办（2022）20号",
        "渝北职改办【2022】20号",
        "渝北职改办﹝2022﹞20号",
        "渝北职改办〈2022〉20号",
        "渝北职改办2022年20号",
        "渝北职改办〔２０２２〕２０号",
        " 渝北职改办 〔2022〕 20 号 ",
        "渝北职改办〔2022〕第20号",
        "渝北职改办〔2022〕020号",
        "渝北职改办〔2022〕20",
    ],
)
def test_variants_map_to_the_canonical_form(raw: str) -> None:
    doc = normalize_approval_document(raw, today=TODAY)
    assert doc.normalized == CANONICAL
    assert (doc.issuer, doc.year, doc.sequence, doc.raw) == ("渝北职改办", 2022, 20, raw)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("渝职改办〔2024〕207号", "渝职改办〔2024〕207号"),
        ("渝人社发[2021]25号", "渝人社发〔2021〕25号"),
        ("渝职改（1998）50号", "渝职改〔1998〕50号"),
        ("人社厅发〔2021〕97号", "人社厅发〔2021〕97号"),
    ],
)
def test_real_examples_keep_their_issuer(raw: str, normalized: str) -> None:
    assert normalize_approval_document(raw, today=TODAY).normalized == normalized


def test_issuer_is_not_silently_rewritten() -> None:
    assert (
        normalize_approval_document("渝北区职改办〔2022〕20号", today=TODAY).issuer
        == "渝北区职改办"
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("渝北职改办〔22〕20号", "APPROVAL_DOCUMENT_YEAR"),
        ("渝北职改办〔1977〕5号", "APPROVAL_DOCUMENT_YEAR"),
        ("渝北职改办〔2027〕5号", "APPROVAL_DOCUMENT_YEAR"),
        ("人社部令第40号", "APPROVAL_DOCUMENT_FORMAT"),
        ("渝北职改办20号", "APPROVAL_DOCUMENT_FORMAT"),
        ("〔2022〕20号", "APPROVAL_DOCUMENT_FORMAT"),
        ("渝北职改办〔2022〕0号", "APPROVAL_DOCUMENT_FORMAT"),
        ("随便写写", "APPROVAL_DOCUMENT_FORMAT"),
        ("   ", "APPROVAL_DOCUMENT_REQUIRED"),
    ],
    ids=[
        "two-digit-year",
        "before-1978",
        "future-year",
        "ministerial-order",
        "no-year",
        "no-issuer",
        "sequence-zero",
        "garbage",
        "blank",
    ],
)
def test_refusals(raw: str, code: str) -> None:
    with pytest.raises(RuleViolation) as info:
        normalize_approval_document(raw, today=TODAY)
    assert info.value.code == code
    assert info.value.field == "approvalDocument"


def test_format_message_shows_an_example() -> None:
    with pytest.raises(RuleViolation) as info:
        normalize_approval_document("随便写写", today=TODAY)
    assert CANONICAL in info.value.message


def test_year_differing_from_issue_year_is_a_warning() -> None:
    doc = normalize_approval_document("渝北职改办〔2021〕20号", today=TODAY)
    codes = [w.code for w in approval_document_warnings(doc, date(2022, 2, 15))]
    assert codes == ["APPROVAL_DOCUMENT_YEAR_MISMATCH"]


def test_yubei_batch_has_no_warning() -> None:
    doc = normalize_approval_document(CANONICAL, today=TODAY)
    assert approval_document_warnings(doc, date(2022, 2, 15), catalog=load_catalog()) == []


def test_near_issuer_gets_a_suggestion() -> None:
    doc = normalize_approval_document("渝北区职改办〔2022〕20号", today=TODAY)
    warnings = approval_document_warnings(doc, date(2022, 2, 15), catalog=load_catalog())
    assert [w.code for w in warnings] == ["APPROVAL_DOCUMENT_ISSUER_SUGGESTION"]
    assert "渝北职改办〔2022〕20号" in warnings[0].message
