"""The wizard's mechanics: step fields, normalisation, collecting problems, cross-step findings."""

from __future__ import annotations

import pytest
from form_test_support import (
    CATALOG,
    DOCUMENT_PAPER_SENIOR,
    DOCUMENT_ZHONG,
    SPECIALTY_LISTED,
    TITLE_PAPER_SENIOR,
    TITLE_ZHONG,
    complete,
    refusals,
    registered_paper_senior,
    registered_zhong,
    save,
    stored_after,
    warning_codes,
)

from schema.registration_form import (
    COLUMNS,
    FIELD_COLUMNS,
    STEP_FIELDS,
    Step,
    missing_fields,
)

# --- the shape of the API ------------------------------------------------------------------


def test_every_api_field_belongs_to_exactly_one_step() -> None:
    fields = [name for names in STEP_FIELDS.values() for name in names]
    assert sorted(fields) == sorted(FIELD_COLUMNS) and len(fields) == len(set(fields))


def test_columns_are_the_registration_columns() -> None:
    assert set(COLUMNS) == {
        "source", "level", "series_code", "title_name", "way_obtained", "batch_code",
        "employer_type", "approval_document_raw", "approval_document", "obtained_on",
        "issued_on", "certificate_number", "other_number_format", "authority_code",
        "review_body", "validity_scope", "specialty", "local_specialty",
    }  # fmt: skip


def test_a_field_of_another_step_is_refused() -> None:
    """Sent to the wrong step it would be lost; refused on its own name instead."""
    result = save(Step.TITLE, {**TITLE_ZHONG, "issuedOn": "2022-10-15"})
    assert refusals(result) == [("FIELD_NOT_IN_STEP", "issuedOn")]


def test_an_unknown_field_is_refused() -> None:
    result = save(Step.SPECIALTY, {**SPECIALTY_LISTED, "colour": "red"}, registered_zhong())
    assert refusals(result) == [("FIELD_UNKNOWN", "colour")]


def test_values_hold_only_the_step_columns() -> None:
    result = save(Step.SPECIALTY, SPECIALTY_LISTED, registered_zhong())
    assert set(result.values) == {"specialty", "local_specialty"}


# --- normalisation --------------------------------------------------------------------------


def test_choices_are_stored_as_codes_whatever_was_typed() -> None:
    """Names and aliases (中级, 工程, 职称评审, 线下评审) are stored as catalog codes."""
    submitted = {
        "source": "线下评审",
        "level": "中级",
        "series": "工程",
        "titleName": " 工程师 ",
        "wayObtained": "职称评审",
    }
    result = save(Step.TITLE, submitted)
    assert result.ok, result.problems
    assert result.values == {
        "source": "OFFLINE_REVIEW",
        "level": "ZHONG",
        "series_code": "05",
        "title_name": "工程师",
        "way_obtained": "PS",
        "batch_code": None,
        "employer_type": None,
    }


def test_validity_scope_alias_is_stored_as_its_code() -> None:
    stored = stored_after((Step.TITLE, TITLE_ZHONG))
    result = save(Step.DOCUMENT, {**DOCUMENT_ZHONG, "validityScope": "重庆市"}, stored)
    assert result.ok and result.values["validity_scope"] == "CITY"


def test_former_title_name_is_accepted_stored_under_its_current_name() -> None:
    """教授级高级工程师 is today's 正高级工程师: accepted with a warning naming both."""
    submitted = {**TITLE_PAPER_SENIOR, "level": "正高级", "titleName": "教授级高级工程师"}
    result = save(Step.TITLE, submitted)
    assert result.ok, result.problems
    assert result.values["title_name"] == "正高级工程师"
    assert warning_codes(result) == [("TITLE_FORMER_NAME", "titleName")]
    assert "教授级高级工程师" in result.warnings[0].message


def test_title_name_of_another_level_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_ZHONG, "titleName": "高级工程师"})
    assert refusals(result) == [("TITLE_LEVEL_MISMATCH", "titleName")]


def test_title_name_of_another_series_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_ZHONG, "titleName": "讲师"})
    assert refusals(result) == [("TITLE_SERIES_MISMATCH", "titleName")]


def test_unparseable_approval_document_is_refused_with_an_example() -> None:
    stored = stored_after((Step.TITLE, TITLE_ZHONG))
    result = save(Step.DOCUMENT, {**DOCUMENT_ZHONG, "approvalDocument": "渝北职改办二十号"}, stored)
    assert refusals(result) == [("APPROVAL_DOCUMENT_FORMAT", "approvalDocument")]
    assert "渝北职改办〔2022〕20号" in result.problems[0].message


def test_unknown_source_is_refused() -> None:
    result = save(Step.TITLE, {**TITLE_ZHONG, "source": "朋友圈"})
    assert refusals(result) == [("SCOPE_SOURCE_UNKNOWN", "source")]


# --- every problem at once ------------------------------------------------------------------


def test_every_problem_of_a_step_is_reported_together() -> None:
    """A form shows all its refusals at once, not the first one only."""
    submitted = {
        "source": "",
        "level": "特级",
        "series": "炼丹",
        "titleName": "",
        "wayObtained": "",
    }
    assert refusals(save(Step.TITLE, submitted)) == [
        ("SOURCE_REQUIRED", "source"),
        ("LEVEL_UNKNOWN", "level"),
        ("SERIES_UNKNOWN", "series"),
        ("TITLE_REQUIRED", "titleName"),
        ("WAY_OBTAINED_REQUIRED", "wayObtained"),
    ]


def test_a_step_save_ignores_other_steps_not_filled_yet() -> None:
    """Saving TITLE first: the empty DOCUMENT and SPECIALTY are missing, not wrong."""
    result = save(Step.TITLE, TITLE_ZHONG)
    assert result.ok and result.warnings == []


# --- cross-step findings --------------------------------------------------------------------


def test_lowering_a_senior_level_flags_the_derived_authority() -> None:
    """The municipal bureau was derived for 高级; for 中级 DOCUMENT must be revisited."""
    stored = registered_paper_senior()
    submitted = {**TITLE_PAPER_SENIOR, "level": "中级", "titleName": "工程师"}
    result = save(Step.TITLE, submitted, stored)
    assert result.ok, result.problems
    assert ("AUTHORITY_LEVEL_MISMATCH", "authority") in warning_codes(result)
    assert "批准文件" in next(w.message for w in result.warnings if w.field == "authority")
    stored.update(result.values)
    assert refusals(complete(stored)) == [("AUTHORITY_LEVEL_MISMATCH", "authority")]


def test_two_steps_contradicting_each_other_never_lock_the_applicant_in() -> None:
    """Correcting a 2019 paper registration into a 2022 one: DOCUMENT first, then TITLE.

    TITLE alone is refused (its new source against the stored 2019 date); DOCUMENT then saves
    with a warning pointing at the source, and TITLE passes against the new date.
    """
    stored = registered_paper_senior()
    new_title = {**TITLE_PAPER_SENIOR, "source": "OTHER_SYSTEM"}
    assert refusals(save(Step.TITLE, new_title, stored)) == [("SCOPE_PRE_2021_NOT_PAPER", "source")]
    new_document = {
        **DOCUMENT_PAPER_SENIOR,
        "approvalDocument": "渝职改办〔2022〕150号",
        "obtainedOn": "2022-11-08",
        "issuedOn": "2022-12-20",
        "certificateNumber": "",
    }
    document = save(Step.DOCUMENT, new_document, stored)
    assert document.ok, document.problems
    assert warning_codes(document) == [("SCOPE_PAPER_SINCE_2021", "source")]
    stored.update(document.values)
    title = save(Step.TITLE, new_title, stored)
    assert title.ok, title.problems
    stored.update(title.values)
    assert complete(stored).ok


def test_specialty_saved_before_the_series_is_checked_once_the_series_is_known() -> None:
    """Out of order, the specialty is kept as typed; TITLE then checks it against the series."""
    stored = stored_after((Step.SPECIALTY, {"specialty": "会计实务"}))
    assert stored["specialty"] == "会计实务"
    result = save(Step.TITLE, TITLE_ZHONG, stored)
    assert result.ok and ("SPECIALTY_UNKNOWN", "specialty") in warning_codes(result)


# --- submission and progress ----------------------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        {},
        {"source": "PAPER", "level": "FU_GAO", "way_obtained": "PS"},
        {"source": "OFFLINE_INITIAL", "level": "ZHULI", "way_obtained": "CD", "series_code": "05",
         "specialty": "05-999"},
    ],
)  # fmt: skip
def test_missing_fields_are_the_required_refusals_of_submission(stored: dict[str, str]) -> None:
    """The progress bar and 待完善 list what submission would refuse as missing."""
    required = [f for c, f in refusals(complete(stored)) if c.endswith("_REQUIRED")]
    assert missing_fields(stored, catalog=CATALOG) == required


def test_a_complete_registration_passes_submission_with_its_values() -> None:
    stored = registered_zhong()
    result = complete(stored)
    assert result.ok, result.problems
    assert result.values == stored


def test_submission_normalises_values_stored_in_other_spellings() -> None:
    """Values stored by an import in names rather than codes come back as codes."""
    stored = {
        **registered_zhong(),
        "level": "中级",
        "series_code": "工程技术",
        "specialty": "建筑工程",
    }
    result = complete(stored)
    assert result.ok, result.problems
    assert (result.values["level"], result.values["series_code"], result.values["specialty"]) == (
        "ZHONG",
        "05",
        "05-001",
    )
