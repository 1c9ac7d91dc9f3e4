"""The notice's annex: the 2021 Yubei intermediate engineering batch, as a preset.

Picking the batch and an employer type in 职称信息 fills what the annex lists; later steps and
the submission refuse anything that contradicts it (BATCH_CONFLICT on that field).
"""

from __future__ import annotations

from datetime import date

import pytest
from form_test_support import (
    CATALOG,
    SPECIALTY_LISTED,
    TITLE_ZHONG,
    complete,
    refusals,
    save,
    stored_after,
)

from schema.registration_form import Step, batch_prefill, missing_fields
from schema.rules import RuleViolation

YUBEI = "YUBEI_ENG_ZHONG_2021"
COMMITTEE = "重庆市工程技术中级职务渝北区评审委员会"
TITLE_YUBEI = {**TITLE_ZHONG, "batch": YUBEI, "employerType": "区属国有企业"}


def test_picking_the_batch_fills_the_annex_fields() -> None:
    """Annex 1–5: document 21号 for 区属国有企业, dates, committee, authority 500112, 全市."""
    result = save(Step.TITLE, TITLE_YUBEI)
    assert result.ok, result.problems
    assert result.values == {
        "source": "OFFLINE_REVIEW",
        "level": "ZHONG",
        "series_code": "05",
        "title_name": "工程师",
        "way_obtained": "PS",
        "batch_code": YUBEI,
        "employer_type": "DISTRICT_SOE",
        "approval_document_raw": "渝北职改办〔2022〕21号",
        "approval_document": "渝北职改办〔2022〕21号",
        "obtained_on": date(2021, 12, 24),
        "issued_on": date(2022, 2, 15),
        "certificate_number": None,
        "authority_code": "500112",
        "review_body": COMMITTEE,
        "validity_scope": "CITY",
    }


def test_picking_the_batch_fills_level_series_and_way_left_empty() -> None:
    """The batch states 工程技术 / 中级 / 评审: the applicant need not pick them."""
    submitted = {"source": "OFFLINE_REVIEW", "titleName": "工程师", "batch": YUBEI}
    result = save(Step.TITLE, {**submitted, "employerType": "事业单位"})
    assert result.ok, result.problems
    assert (
        result.values["level"],
        result.values["series_code"],
        result.values["way_obtained"],
    ) == (
        "ZHONG",
        "05",
        "PS",
    )
    assert result.values["approval_document"] == "渝北职改办〔2022〕20号"


@pytest.mark.parametrize(
    ("employer", "document"),
    [
        ("事业单位", "渝北职改办〔2022〕20号"),
        ("区属国有企业", "渝北职改办〔2022〕21号"),
        ("NON_PUBLIC", "渝北职改办〔2022〕22号"),
    ],
)
def test_batch_prefill_per_employer_type(employer: str, document: str) -> None:
    """The document depends on the employer type; everything else is shared."""
    values = batch_prefill(YUBEI, employer, catalog=CATALOG)
    assert values["approval_document"] == document
    assert (values["obtained_on"], values["issued_on"]) == (date(2021, 12, 24), date(2022, 2, 15))
    assert (values["authority_code"], values["review_body"], values["validity_scope"]) == (
        "500112",
        COMMITTEE,
        "CITY",
    )


def test_batch_prefill_refuses_an_unknown_employer_type_on_its_field() -> None:
    with pytest.raises(RuleViolation) as info:
        batch_prefill(YUBEI, "外资企业", catalog=CATALOG)
    assert (info.value.code, info.value.field) == ("BATCH_EMPLOYER_TYPE_UNKNOWN", "employerType")


def test_a_different_issue_date_is_a_batch_conflict() -> None:
    """Annex: all three documents were issued 2022-02-15."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    result = save(Step.DOCUMENT, {"issuedOn": "2022-02-16"}, stored)
    assert refusals(result) == [("BATCH_CONFLICT", "issuedOn")]
    assert "2022-02-15" in result.problems[0].message


def test_another_employer_types_document_is_a_batch_conflict() -> None:
    """区属国有企业 is covered by 21号, not 20号."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    result = save(Step.DOCUMENT, {"approvalDocument": "渝北职改办〔2022〕20号"}, stored)
    assert refusals(result) == [("BATCH_CONFLICT", "approvalDocument")]


def test_the_same_document_in_another_spelling_is_no_conflict() -> None:
    """渝北职改办[2022]21号 is the batch's document."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    assert save(Step.DOCUMENT, {"approvalDocument": "渝北职改办[2022]21号"}, stored).ok


def test_another_review_body_is_a_batch_conflict() -> None:
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    result = save(Step.DOCUMENT, {"reviewBody": "重庆市工程技术中级职务江北区评审委员会"}, stored)
    assert refusals(result) == [("BATCH_CONFLICT", "reviewBody")]


def test_the_authority_alias_is_no_conflict() -> None:
    """渝北区职改办 is 渝北区人力资源和社会保障局 (notice Q5)."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    result = save(Step.DOCUMENT, {"authority": "渝北区职改办"}, stored)
    assert result.ok and result.values["authority_code"] == "500112"


def test_a_level_other_than_the_batch_is_refused_in_the_title_step() -> None:
    """The batch is an intermediate review: 副高级 contradicts it."""
    submitted = {**TITLE_YUBEI, "level": "副高级", "titleName": "高级工程师"}
    assert refusals(save(Step.TITLE, submitted)) == [("BATCH_CONFLICT", "level")]


def test_the_batch_date_refuses_a_paper_source() -> None:
    """The batch's titles are from 2021: not paper certificates (scope)."""
    result = save(Step.TITLE, {**TITLE_YUBEI, "source": "PAPER"})
    assert refusals(result) == [("SCOPE_PAPER_SINCE_2021", "source")]


def test_unknown_employer_type_is_refused_on_its_field() -> None:
    result = save(Step.TITLE, {**TITLE_YUBEI, "employerType": "外资企业"})
    assert refusals(result) == [("BATCH_EMPLOYER_TYPE_UNKNOWN", "employerType")]


def test_batch_without_employer_type_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_YUBEI, "employerType": None})
    assert refusals(result) == [("EMPLOYER_TYPE_REQUIRED", "employerType")]


def test_employer_type_without_batch_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_YUBEI, "batch": ""})
    assert refusals(result) == [("BATCH_REQUIRED", "batch")]


def test_unknown_batch_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_YUBEI, "batch": "YUBEI_2099"})
    assert refusals(result) == [("BATCH_UNKNOWN", "batch")]


def test_batch_can_be_picked_by_its_name() -> None:
    submitted = {**TITLE_YUBEI, "batch": "2021年重庆市工程技术中级职务渝北区评审委员会评审"}
    result = save(Step.TITLE, submitted)
    assert result.ok and result.values["batch_code"] == YUBEI


def test_picking_another_employer_type_replaces_the_document() -> None:
    """Re-picking in 职称信息 re-fills the document for the new employer type."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    result = save(Step.TITLE, {**TITLE_YUBEI, "employerType": "非公企业"}, stored)
    assert result.ok and result.values["approval_document"] == "渝北职改办〔2022〕22号"


def test_picking_the_batch_overwrites_earlier_document_values() -> None:
    """Chosen after DOCUMENT was filled by hand: the batch decides the fields it fixes."""
    stored = stored_after(
        (Step.TITLE, TITLE_ZHONG),
        (
            Step.DOCUMENT,
            {
                "approvalDocument": "渝北职改办〔2022〕30号",
                "obtainedOn": "2022-01-05",
                "issuedOn": "2022-03-01",
                "authority": "500112",
                "reviewBody": COMMITTEE,
                "validityScope": "全市",
            },
        ),
    )
    result = save(Step.TITLE, TITLE_YUBEI, stored)
    assert result.ok, result.problems
    assert result.values["issued_on"] == date(2022, 2, 15)
    assert result.values["approval_document"] == "渝北职改办〔2022〕21号"


def test_the_batch_document_typed_without_picking_the_batch_is_held_to_it() -> None:
    """A known document number identifies the batch even when the applicant did not pick it."""
    stored = stored_after((Step.TITLE, TITLE_ZHONG))
    submitted = {
        "approvalDocument": "渝北职改办〔2022〕22号",
        "obtainedOn": "2021-12-24",
        "issuedOn": "2022-03-01",
        "authority": "渝北区人力资源和社会保障局",
        "reviewBody": COMMITTEE,
        "validityScope": "全市",
    }
    assert refusals(save(Step.DOCUMENT, submitted, stored)) == [("BATCH_CONFLICT", "issuedOn")]


def test_a_batch_registration_needs_only_its_specialty_after_the_title_step() -> None:
    stored = stored_after((Step.TITLE, TITLE_YUBEI))
    assert missing_fields(stored, catalog=CATALOG) == ["specialty"]


def test_a_batch_registration_passes_submission() -> None:
    stored = stored_after((Step.TITLE, TITLE_YUBEI), (Step.SPECIALTY, SPECIALTY_LISTED))
    result = complete(stored)
    assert result.ok, result.problems


def test_a_stored_value_contradicting_the_batch_is_refused_on_submission() -> None:
    """However it got there (an import, an old draft), submission re-checks the batch."""
    stored = stored_after((Step.TITLE, TITLE_YUBEI), (Step.SPECIALTY, SPECIALTY_LISTED))
    stored["obtained_on"] = date(2021, 12, 25)
    assert refusals(complete(stored)) == [("BATCH_CONFLICT", "obtainedOn")]
